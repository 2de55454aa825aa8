//! One-line meanings of the registered and common claims (RFC 7519 §4.1, OIDC Core §2 and
//! §5.1, RFC 8693 §4, RFC 9068, RFC 7800).

/// What `claim` means, for the claims pane; `None` for claims without a common meaning.
pub fn describe(claim: &str) -> Option<&'static str> {
    Some(match claim {
        "iss" => "issuer: who made and signed the token",
        "sub" => "subject: the user or client the token is about",
        "aud" => "audience: who the token is meant for",
        "exp" => "expires: not to be accepted after this time",
        "nbf" => "not before: not to be accepted before this time",
        "iat" => "issued at",
        "jti" => "token ID: unique, lets servers detect replays",
        "azp" => "authorized party: the client the token was issued to",
        "scope" | "scp" => "scopes: what the token allows",
        "roles" => "roles granted to the subject",
        "groups" => "groups the subject belongs to",
        "amr" => "authentication methods used (pwd, otp, mfa, ...)",
        "acr" => "authentication context class: how strong the login was",
        "auth_time" => "when the user last actually authenticated",
        "sid" => "session ID at the provider",
        "cnf" => "confirmation: the key the token is bound to (DPoP, mTLS)",
        "client_id" => "the OAuth client the token was issued to",
        "nonce" => "nonce: ties the ID token to the login that asked for it",
        "at_hash" => "hash of the access token issued with this ID token",
        "c_hash" => "hash of the authorization code",
        "email" => "email address",
        "email_verified" => "whether the provider verified the email address",
        "name" => "full name",
        "preferred_username" => "the name the user goes by",
        "tid" => "tenant ID (Microsoft Entra)",
        "oid" => "object ID of the user (Microsoft Entra)",
        "typ" => "token type",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_claim_the_issue_names_is_explained() {
        for claim in [
            "iss",
            "sub",
            "aud",
            "exp",
            "nbf",
            "iat",
            "jti",
            "azp",
            "scope",
            "scp",
            "roles",
            "groups",
            "amr",
            "acr",
            "auth_time",
            "sid",
            "cnf",
            "client_id",
        ] {
            assert!(super::describe(claim).is_some(), "{claim}");
        }
        assert_eq!(super::describe("x-custom"), None);
    }
}
