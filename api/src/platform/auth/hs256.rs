//! The one JWT algorithm vbp uses, HS256, as a jsonwebtoken `CryptoProvider` on RustCrypto's
//! `hmac` + `sha2`. jsonwebtoken's bundled providers carry every algorithm (RSA, ECDSA,
//! EdDSA) and their dependency trees; the platform needs none of them. Every other
//! algorithm is refused, so a token claiming another `alg` cannot be verified.

use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{
    Algorithm, AlgorithmFamily, DecodingKey, EncodingKey,
    crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils},
    errors::{ErrorKind, Result},
    signature::{self, Signer, Verifier},
};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

struct Hs256(HmacSha256);

impl Hs256 {
    fn new(secret: &[u8], family: AlgorithmFamily, alg: &Algorithm) -> Result<Self> {
        if *alg != Algorithm::HS256 || family != AlgorithmFamily::Hmac {
            return Err(ErrorKind::InvalidAlgorithm.into());
        }
        HmacSha256::new_from_slice(secret)
            .map(Self)
            .map_err(|_| ErrorKind::InvalidKeyFormat.into())
    }
}

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        // constant-time comparison
        mac.verify_slice(sig).map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: |alg, key: &EncodingKey| {
        Ok(Box::new(Hs256::new(key.as_bytes(), key.family(), alg)?) as Box<dyn JwtSigner>)
    },
    verifier_factory: |alg, key: &DecodingKey| {
        Ok(
            Box::new(Hs256::new(key.try_get_as_bytes()?, key.family(), alg)?)
                as Box<dyn JwtVerifier>,
        )
    },
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes HS256 the process's JWT provider (idempotent).
pub fn install() {
    let _ = PROVIDER.install_default();
}
