// A real OpenID provider on loopback for the single sign-on tests: the certified
// oidc-provider package, configured from the environment by tests/oidc/fixture.py.
//
//   PORT          where it listens (127.0.0.1 only); the issuer is http://127.0.0.1:PORT
//   CLIENT        JSON: {client_id, client_secret, redirect_uris, post_logout_redirect_uris}
//   ACCOUNTS      JSON: {login: {name, email, groups: [...], roles: [...]}}
//
// Its development interactions are the sign-in form: any known login, any password.
// PKCE (S256) is required of every client.
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const client = JSON.parse(process.env.CLIENT);
const accounts = JSON.parse(process.env.ACCOUNTS);

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    ...client,
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  pkce: { required: () => true },
  claims: {
    openid: ["sub"],
    profile: ["name"],
    email: ["email"],
    groups: ["groups", "roles"],
  },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["onlive-test-provider-cookie-key"] },
  async findAccount(ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return { accountId: sub, async claims() { return { sub, ...account }; } };
  },
});
provider.on("server_error", (ctx, error) => console.error("server_error", error));
provider.listen(port, "127.0.0.1", () => console.log(`oidc-provider ready on ${port}`));
