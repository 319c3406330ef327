/**
 * Email addresses as stored on Message (fromAddress, toAddresses, ...): `{ name, address }` with a
 * lower-cased domain and a decoded display name. Accepts imapflow envelope addresses, mailparser
 * AddressObjects and raw header strings; flattens groups and drops entries without an address.
 * Pure: no I/O.
 */
import type { AddressObject } from 'mailparser';
import addressparser from 'nodemailer/lib/addressparser';
import libmime from 'libmime';

export interface Address {
  name: string | null;
  address: string;
}

/** imapflow `{ name, address }`, mailparser `EmailAddress` (may hold a `group`) and the like. */
export interface AddressLike {
  name?: string | null;
  address?: string | null;
  group?: AddressLike[] | null;
}

export type AddressInput = AddressLike | AddressObject | string | null | undefined;

/** ` <Jane@Example.COM>` → `Jane@example.com` (local part kept as is); null unless local@domain. */
export function normalizeAddress(raw: string | null | undefined): string | null {
  let s = (raw ?? '').trim().replace(/^mailto:/i, '');
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1).trim();
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return null;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1).toLowerCase();
  const quotedLocal = /^".*"$/.test(local);
  // eslint-disable-next-line no-control-regex
  if (/[\s<>,;()@\x00-\x1f\x7f]/.test(domain) || /[\x00-\x1f\x7f]/.test(local)) return null;
  if (!quotedLocal && /[\s<>,;()@"]/.test(local)) return null;
  return `${local}@${domain}`;
}

function normalizeName(raw: string | null | undefined, address: string): string | null {
  let name = (raw ?? '').trim();
  if (/=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=/.test(name)) name = libmime.decodeWords(name).trim();
  const quoted = /^"(.*)"$/s.exec(name) ?? /^'(.*)'$/s.exec(name);
  if (quoted) name = (quoted[1] ?? '').replace(/\\(.)/g, '$1');
  name = name.replace(/\s+/g, ' ').trim();
  if (!name || name.toLowerCase() === address.toLowerCase()) return null;
  return name;
}

function isAddressObject(x: unknown): x is AddressObject {
  return typeof x === 'object' && x !== null && Array.isArray((x as AddressObject).value);
}

/** Flattens every supported input shape into `{ name, address }` entries, in order. */
export function normalizeAddressList(x: AddressInput | AddressInput[]): Address[] {
  const out: Address[] = [];
  const visit = (item: AddressInput | AddressLike | undefined): void => {
    if (item == null) return;
    if (typeof item === 'string') {
      for (const parsed of addressparser(item, { flatten: true })) visit(parsed);
      return;
    }
    if (isAddressObject(item)) {
      for (const v of item.value) visit(v);
      return;
    }
    if (Array.isArray(item.group)) {
      for (const member of item.group) visit(member);
      return;
    }
    const address = normalizeAddress(item.address);
    if (address) out.push({ name: normalizeName(item.name, address), address });
  };
  for (const item of Array.isArray(x) ? x : [x]) visit(item);
  return out;
}

/** The first address of a list (e.g. for Message.fromAddress), or null. */
export function firstAddress(x: AddressInput | AddressInput[]): Address | null {
  return normalizeAddressList(x)[0] ?? null;
}

const SPECIALS = /[()<>[\]:;@\\,."]/;

/** `Doe, Jane <jane@example.com>` → `"Doe, Jane" <jane@example.com>`; the bare address without a name. */
export function formatAddress(a: { name?: string | null; address: string }): string {
  const name = (a.name ?? '').replace(/\s+/g, ' ').trim();
  if (!name) return a.address;
  const display = SPECIALS.test(name) ? `"${name.replace(/["\\]/g, '\\$&')}"` : name;
  return `${display} <${a.address}>`;
}

/** Comma-separated `formatAddress` of each entry. */
export function formatAddressList(list: { name?: string | null; address: string }[]): string {
  return list.map(formatAddress).join(', ');
}
