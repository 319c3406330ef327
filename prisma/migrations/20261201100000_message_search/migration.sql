-- Server-side search (messages.search): one lower-case text per message of what a plain word
-- matches (subject, sender and recipients' names and addresses, snippet, fetched text body),
-- indexed by trigrams so that `ILIKE '%word%'` does not read a whole 100k-message folder.
-- The function is IMMUTABLE (it only reads its arguments), as an index expression must be.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE OR REPLACE FUNCTION message_search_text(
  subject text, snippet text, text_body text, from_address jsonb, to_addresses jsonb, cc_addresses jsonb
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(
    coalesce(subject, '') || ' ' ||
    coalesce(from_address ->> 'name', '') || ' ' || coalesce(from_address ->> 'address', '') || ' ' ||
    coalesce(jsonb_path_query_array(to_addresses, 'lax $[*].name')::text, '') || ' ' ||
    coalesce(jsonb_path_query_array(to_addresses, 'lax $[*].address')::text, '') || ' ' ||
    coalesce(jsonb_path_query_array(cc_addresses, 'lax $[*].name')::text, '') || ' ' ||
    coalesce(jsonb_path_query_array(cc_addresses, 'lax $[*].address')::text, '') || ' ' ||
    coalesce(snippet, '') || ' ' || coalesce(left(text_body, 100000), '')
  )
$$;

CREATE INDEX "Message_search_trgm_idx" ON "Message" USING gin (
  message_search_text("subject", "snippet", "textBody", "fromAddress", "toAddresses", "ccAddresses") gin_trgm_ops
);
