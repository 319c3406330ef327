// npm run demo -- --check: logs in as the demo user the way a browser does and checks that the
// mail page lists both demo mailboxes, synced. Exits non-zero with the reason otherwise.
const base = process.argv[2];
const fail = (msg) => {
  console.error(`demo check failed: ${msg}`);
  process.exit(1);
};
const login = await fetch(`${base}/api/trpc/auth.login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', origin: base },
  body: JSON.stringify({ email: process.env.DEMO_EMAIL, password: process.env.DEMO_PASSWORD })
});
if (login.status !== 200) fail(`login answered ${login.status}: ${await login.text()}`);
const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
if (!cookie) fail('no session cookie');
const deadline = Date.now() + 60_000;
for (;;) {
  const page = await fetch(`${base}/mail`, { headers: { cookie } });
  const html = await page.text();
  if (page.status !== 200) fail(`/mail answered ${page.status}`);
  const synced = (html.match(/Up to date/g) ?? []).length;
  if (html.includes('alice@example.test') && html.includes('bob@example.test') && synced >= 2) {
    const health = await (await fetch(`${base}/health`)).json();
    if (health.status !== 'healthy') fail(`/health says ${JSON.stringify(health)}`);
    console.log('demo check passed: logged in, both demo mailboxes synced, /health healthy');
    process.exit(0);
  }
  if (Date.now() > deadline) fail(`the mail page did not show both mailboxes synced within 60 s`);
  await new Promise((r) => setTimeout(r, 500));
}
