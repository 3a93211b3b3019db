//! The token parser and verifier: any string gives a token or an error, and verification (with
//! a fixed RSA key set and an EC one) gives claims or an error, never a panic; nothing but a
//! token signed by a key of the set can verify, which random input never is.
#![no_main]

use castellan_jwt::{JwkSet, Token};
use libfuzzer_sys::fuzz_target;

const KEYS: &str = r#"{"keys":[
 {"kty":"RSA","kid":"r1","n":"wbLkkBcHKXSk2dCUCToxcK0TsyBmUBRGB3au0e_55SG_cCsiro6ofakuQ0ImGoef4yJuRN3-xb2mKbWi1mFYRJErHq88a9xkaqxNnZu_QzOvBC8Rk-Q43U4gUSH-8bbrBSb9IIVSX9ndymDW2gnfoQleUCVCs3_EaUPfGhF-1esW1BbFaUVbUfQvHyuxoSG82cGa7EZOMWdJXCSfapvqKwcvxngixNufJMEqezuv7whJ982hAXMwWbn7RU9Rl_jRz_d11kcPGIKfwLhzZalyo63jaCTU1JPuzVRk1ZazAYeMNmL-_H_dOKzR09W0jzZS7IH1BtlSsxbCFwia3QXgHw","e":"AQAB"},
 {"kty":"EC","crv":"P-256","kid":"e1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
]}"#;

fuzz_target!(|token: &str| {
    let Ok(keys) = JwkSet::parse(KEYS.as_bytes()) else { return };
    match Token::parse(token) {
        Ok(t) => {
            let _ = (t.issuer(), t.kid(), t.key_known(&keys));
            match t.verify(&keys, 1_800_000_000, 300) {
                Ok(_) => panic!("a token no key of the set signed verified"),
                Err(e) => {
                    let _ = e.message();
                }
            }
        }
        Err(e) => {
            let _ = e.message();
        }
    }
});
