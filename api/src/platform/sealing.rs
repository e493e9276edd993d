//! Sealed bids: the cryptography that keeps a bid unreadable until the opening.
//!
//! * Each round has an X25519 key pair. Bids are encrypted to the round's public key
//!   with HPKE (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305),
//!   bound by the `info` string to the round, lot and supplier, so a ciphertext cannot be
//!   replayed as another supplier's or another lot's bid.
//! * The round's private key is split k-of-n with Shamir's scheme (GF(2^8)) among the
//!   opening custodians; the server keeps only SHA-256 commitments of the shares, to
//!   recognise a forged share when it is presented. Reconstructing takes k shares, and
//!   the result must match the round's public key.
//! * Quorum 1 instead keeps the private key wrapped under the platform master key
//!   (`VBP_MASTER_KEY`, ChaCha20-Poly1305): weaker, since the operator holding the master
//!   key and the database can open early.
//! * Receipts are signed with the platform's Ed25519 key; anyone can check them with the
//!   public key published at `GET /api/receipt-key`.

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use blahaj::{Share, Sharks};
use chacha20poly1305::{
    ChaCha20Poly1305, Nonce,
    aead::{Aead, KeyInit},
};
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

type Kem = hpke::kem::X25519HkdfSha256;
type Kdf = hpke::kdf::HkdfSha256;
type Suite = hpke::aead::ChaCha20Poly1305;

/// Length of an encapsulated key (X25519 public key) at the front of a sealed bid.
const ENC_LEN: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("malformed key")]
    BadKey,
    #[error(
        "the ciphertext does not open with this key (wrong key, round, lot or supplier, or tampered)"
    )]
    Open,
    #[error("encryption failed")]
    Seal,
    #[error("share {0} does not match its commitment (forged or mistyped)")]
    ForgedShare(usize),
    #[error("{got} shares presented, {need} needed")]
    NotEnoughShares { got: usize, need: usize },
    #[error("the shares do not reconstruct the round's key")]
    WrongReconstruction,
    #[error("malformed share")]
    BadShare,
    #[error("the master key must be 32 bytes, given as 64 hex characters")]
    BadMasterKey,
}

/// A round's key pair; the secret half is wiped from memory when dropped.
pub struct RoundKeyPair {
    pub public: [u8; 32],
    pub secret: Zeroizing<Vec<u8>>,
}

pub fn generate_round_keys() -> RoundKeyPair {
    let (sk, pk) = Kem::gen_keypair();
    let mut public = [0u8; 32];
    public.copy_from_slice(&pk.to_bytes());
    RoundKeyPair {
        public,
        secret: Zeroizing::new(sk.to_bytes().to_vec()),
    }
}

/// The public key belonging to a secret key.
pub fn public_of(secret: &[u8]) -> Result<[u8; 32], SealError> {
    let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(secret).map_err(|_| SealError::BadKey)?;
    let pk = Kem::sk_to_pk(&sk);
    let mut public = [0u8; 32];
    public.copy_from_slice(&pk.to_bytes());
    Ok(public)
}

/// Encrypts `plaintext` to `public`; `info` binds it to its context (round, lot, supplier).
/// Returns encapsulated key || ciphertext.
pub fn seal(public: &[u8], info: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(public).map_err(|_| SealError::BadKey)?;
    let (enc, ciphertext) =
        hpke::single_shot_seal::<Suite, Kdf, Kem>(&OpModeS::Base, &pk, info, plaintext, b"")
            .map_err(|_| SealError::Seal)?;
    let mut out = enc.to_bytes().to_vec();
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Sealed bid plaintexts are padded with trailing spaces to a multiple of this many
/// bytes before encryption, so that a ciphertext's length tells nothing of the number
/// of digits of the price or the capacity inside. JSON ignores trailing whitespace, so a
/// padded plaintext reads as it is.
pub const PAD_TO: usize = 512;

/// `plaintext` with trailing spaces up to the next multiple of [`PAD_TO`] (at least one).
pub fn pad(plaintext: &[u8]) -> Zeroizing<Vec<u8>> {
    let len = plaintext.len().div_ceil(PAD_TO).max(1) * PAD_TO;
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    out.extend_from_slice(plaintext);
    out.resize(len, b' ');
    out
}

/// Decrypts what [`seal`] produced, with the same `info`.
pub fn open(secret: &[u8], info: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if sealed.len() < ENC_LEN {
        return Err(SealError::Open);
    }
    let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(secret).map_err(|_| SealError::BadKey)?;
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&sealed[..ENC_LEN])
        .map_err(|_| SealError::Open)?;
    hpke::single_shot_open::<Suite, Kdf, Kem>(
        &OpModeR::Base,
        &sk,
        &enc,
        info,
        &sealed[ENC_LEN..],
        b"",
    )
    .map(Zeroizing::new)
    .map_err(|_| SealError::Open)
}

/// SHA-256, hex: commitments of ciphertexts and shares.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Splits `secret` into `n` shares of which any `k` reconstruct it. Each share is
/// returned as text (base64) with its commitment (SHA-256 of that text).
pub fn split(secret: &[u8], k: u8, n: u8) -> Vec<(Zeroizing<String>, String)> {
    Sharks(k)
        .dealer(secret)
        .take(n as usize)
        .map(|share| {
            let bytes = Zeroizing::new(Vec::from(&share));
            let text = Zeroizing::new(B64.encode(&*bytes));
            let commitment = sha256_hex(text.as_bytes());
            (text, commitment)
        })
        .collect()
}

/// Reconstructs a round's secret key from presented shares, checking each against its
/// commitment and the result against the round's public key.
pub fn combine(
    presented: &[(String, String)], // (share text, its stored commitment)
    k: u8,
    public: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if presented.len() < k as usize {
        return Err(SealError::NotEnoughShares {
            got: presented.len(),
            need: k as usize,
        });
    }
    let mut shares = Vec::with_capacity(presented.len());
    for (i, (text, commitment)) in presented.iter().enumerate() {
        if sha256_hex(text.trim().as_bytes()) != *commitment {
            return Err(SealError::ForgedShare(i));
        }
        let bytes = Zeroizing::new(B64.decode(text.trim()).map_err(|_| SealError::BadShare)?);
        shares.push(Share::try_from(bytes.as_slice()).map_err(|_| SealError::BadShare)?);
    }
    let secret = Zeroizing::new(
        Sharks(k)
            .recover(shares.as_slice())
            .map_err(|_| SealError::BadShare)?,
    );
    if public_of(&secret)? != public {
        return Err(SealError::WrongReconstruction);
    }
    Ok(secret)
}

/// The platform master key, for envelope encryption (quorum-1 rounds, shares at rest).
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    pub fn from_hex(hex_text: &str) -> Result<Self, SealError> {
        let bytes =
            Zeroizing::new(hex::decode(hex_text.trim()).map_err(|_| SealError::BadMasterKey)?);
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| SealError::BadMasterKey)?;
        Ok(Self(Zeroizing::new(key)))
    }

    /// A keyed digest (HMAC-SHA256, hex) of `message` under a subkey of the master key
    /// for `purpose`. What is stored beside a sealed bid to recognise a retried request
    /// is such a digest: without the master key, which is kept out of the database and
    /// its backups, nobody holding the database can test a guessed price against it.
    pub fn mac_hex(&self, purpose: &str, message: &[u8]) -> String {
        use hmac::{Hmac, KeyInit as _, Mac};
        type HmacSha256 = Hmac<Sha256>;
        let subkey = {
            // the subkey for `purpose`: HMAC(master key, "vbp-mac-v1|" purpose)
            let mut m = HmacSha256::new_from_slice(self.0.as_slice())
                .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
            m.update(b"vbp-mac-v1|");
            m.update(purpose.as_bytes());
            let mut k = Zeroizing::new([0u8; 32]);
            k.copy_from_slice(&m.finalize().into_bytes());
            k
        };
        let mut m = HmacSha256::new_from_slice(subkey.as_slice())
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        m.update(message);
        hex::encode(m.finalize().into_bytes())
    }

    /// nonce || ciphertext; `context` is authenticated (e.g. "round:<id>:key").
    pub fn wrap(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, SealError> {
        let cipher = ChaCha20Poly1305::new_from_slice(self.0.as_slice())
            .map_err(|_| SealError::BadMasterKey)?;
        let mut nonce = [0u8; 12];
        rand::fill(&mut nonce);
        let ct = cipher
            .encrypt(
                &Nonce::from(nonce),
                chacha20poly1305::aead::Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .map_err(|_| SealError::Seal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if wrapped.len() < 12 {
            return Err(SealError::Open);
        }
        let cipher = ChaCha20Poly1305::new_from_slice(self.0.as_slice())
            .map_err(|_| SealError::BadMasterKey)?;
        let nonce: [u8; 12] = wrapped[..12].try_into().map_err(|_| SealError::Open)?;
        cipher
            .decrypt(
                &Nonce::from(nonce),
                chacha20poly1305::aead::Payload {
                    msg: &wrapped[12..],
                    aad: context,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealError::Open)
    }
}

/// The platform's receipt-signing key (Ed25519), and the public keys it replaced.
///
/// Rotation: the new seed goes in `VBP_RECEIPT_KEY` and the old key's *public* half in
/// `VBP_RECEIPT_PREVIOUS_KEYS`; new receipts are signed by the new key, and a receipt
/// shown again (a supplier's list, an idempotent retry) names the key that verifies its
/// stored signature ([`Self::key_for`]). `GET /api/receipt-key` publishes all of them.
pub struct ReceiptKey {
    signing: SigningKey,
    /// Public keys of earlier receipt keys, hex, newest first.
    previous: Vec<String>,
}

impl std::fmt::Debug for ReceiptKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ReceiptKey(public {}, previous {:?})",
            self.public_hex(),
            self.previous
        )
    }
}

impl ReceiptKey {
    /// From a 32-byte seed given as 64 hex characters.
    pub fn from_hex(seed: &str) -> Result<Self, SealError> {
        let bytes = Zeroizing::new(hex::decode(seed.trim()).map_err(|_| SealError::BadKey)?);
        let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| SealError::BadKey)?;
        Ok(Self {
            signing: SigningKey::from_bytes(&seed),
            previous: Vec::new(),
        })
    }

    /// With the public keys (64 hex characters each) of the keys this one replaced.
    pub fn with_previous(mut self, keys: &[&str]) -> Result<Self, SealError> {
        for k in keys {
            let k = k.trim().to_ascii_lowercase();
            let bytes: [u8; 32] = hex::decode(&k)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or(SealError::BadKey)?;
            VerifyingKey::from_bytes(&bytes).map_err(|_| SealError::BadKey)?;
            self.previous.push(k);
        }
        Ok(self)
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().to_bytes())
    }

    /// The public keys of the keys this one replaced, newest first.
    pub fn previous(&self) -> &[String] {
        &self.previous
    }

    /// The public key under which `signature_b64` of `message` verifies: the current key
    /// when no earlier one is configured or it verifies, else the earlier key that does
    /// (the current one when none does, which a verifier will then refuse).
    pub fn key_for(&self, message: &[u8], signature_b64: &str) -> String {
        let current = self.public_hex();
        if self.previous.is_empty() || verify_signature(&current, message, signature_b64) {
            return current;
        }
        self.previous
            .iter()
            .find(|k| verify_signature(k, message, signature_b64))
            .cloned()
            .unwrap_or(current)
    }

    /// The signature of `message`, base64.
    pub fn sign(&self, message: &[u8]) -> String {
        B64.encode(self.signing.sign(message).to_bytes())
    }
}

/// Checks a receipt signature (base64) against a public key (hex).
pub fn verify_signature(public_hex: &str, message: &[u8], signature_b64: &str) -> bool {
    let Ok(pk) = hex::decode(public_hex) else {
        return false;
    };
    let Ok(pk): Result<[u8; 32], _> = pk.as_slice().try_into() else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    let Ok(sig) = B64.decode(signature_b64) else {
        return false;
    };
    let Ok(sig) = ed25519_dalek::Signature::from_slice(&sig) else {
        return false;
    };
    key.verify(message, &sig).is_ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn padding_hides_the_length_and_reads_as_the_same_json() {
        let short = br#"{"p":"0.5"}"#;
        let long = br#"{"p":"12345678.1234","c":999999999999}"#;
        assert_eq!(pad(short).len(), PAD_TO);
        assert_eq!(pad(long).len(), PAD_TO);
        assert_eq!(pad(&[b'x'; PAD_TO + 1]).len(), 2 * PAD_TO);
        let v: serde_json::Value = serde_json::from_slice(&pad(long)).unwrap();
        assert_eq!(v["c"], 999999999999u64);
    }

    #[test]
    fn mac_depends_on_the_key_and_the_purpose() {
        let a = MasterKey::from_hex(&"11".repeat(32)).unwrap();
        let b = MasterKey::from_hex(&"22".repeat(32)).unwrap();
        let m = a.mac_hex("idempotency", b"lot|code|0.5000|100");
        assert_eq!(m.len(), 64);
        assert_eq!(m, a.mac_hex("idempotency", b"lot|code|0.5000|100"));
        assert_ne!(m, b.mac_hex("idempotency", b"lot|code|0.5000|100"));
        assert_ne!(m, a.mac_hex("other", b"lot|code|0.5000|100"));
        assert_ne!(m, sha256_hex(b"lot|code|0.5000|100"));
    }

    #[test]
    fn sealed_bid_opens_only_with_the_right_key_and_context() {
        let keys = generate_round_keys();
        let info = b"vbp-bid-v1|round:1|lot:2|supplier:3";
        let sealed = seal(&keys.public, info, b"{\"unit_price\":\"0.5000\"}").unwrap();
        assert!(
            !sealed.windows(6).any(|w| w == b"0.5000"),
            "price visible in ciphertext"
        );
        assert_eq!(
            &*open(&keys.secret, info, &sealed).unwrap(),
            b"{\"unit_price\":\"0.5000\"}"
        );
        // another supplier's context, another key, a flipped bit: all refused
        assert_eq!(
            open(
                &keys.secret,
                b"vbp-bid-v1|round:1|lot:2|supplier:4",
                &sealed
            )
            .unwrap_err(),
            SealError::Open
        );
        assert_eq!(
            open(&generate_round_keys().secret, info, &sealed).unwrap_err(),
            SealError::Open
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            open(&keys.secret, info, &tampered).unwrap_err(),
            SealError::Open
        );
    }

    #[test]
    fn k_of_n_shares_reconstruct_and_fewer_or_forged_do_not() {
        let keys = generate_round_keys();
        let shares = split(&keys.secret, 3, 5);
        assert_eq!(shares.len(), 5);
        let pick = |idx: &[usize]| -> Vec<(String, String)> {
            idx.iter()
                .map(|&i| (shares[i].0.to_string(), shares[i].1.clone()))
                .collect()
        };
        for subset in [[0, 1, 2], [2, 3, 4], [0, 2, 4]] {
            assert_eq!(
                &*combine(&pick(&subset), 3, &keys.public).unwrap(),
                &*keys.secret
            );
        }
        assert_eq!(
            combine(&pick(&[0, 1]), 3, &keys.public).unwrap_err(),
            SealError::NotEnoughShares { got: 2, need: 3 }
        );
        // a forged share fails its commitment...
        let mut forged = pick(&[0, 1, 2]);
        forged[1].0 = B64.encode([9u8; 33]);
        assert_eq!(
            combine(&forged, 3, &keys.public).unwrap_err(),
            SealError::ForgedShare(1)
        );
        // ...and one that comes with a matching forged commitment does not rebuild the key
        let mut fake = [7u8; 33];
        fake[0] = 200; // an x-coordinate no real share has
        let text = B64.encode(fake);
        forged[1] = (text.clone(), sha256_hex(text.as_bytes()));
        assert_eq!(
            combine(&forged, 3, &keys.public).unwrap_err(),
            SealError::WrongReconstruction
        );
    }

    #[test]
    fn master_key_wraps_with_context() {
        let mk = MasterKey::from_hex(&"ab".repeat(32)).unwrap();
        let wrapped = mk.wrap(b"secret", b"round:1:key").unwrap();
        assert_eq!(&*mk.unwrap(&wrapped, b"round:1:key").unwrap(), b"secret");
        assert!(mk.unwrap(&wrapped, b"round:2:key").is_err());
        assert!(MasterKey::from_hex("abcd").is_err());
    }

    #[test]
    fn receipts_verify_with_the_published_key_only() {
        let key = ReceiptKey::from_hex(&"01".repeat(32)).unwrap();
        let sig = key.sign(b"receipt");
        assert!(verify_signature(&key.public_hex(), b"receipt", &sig));
        assert!(!verify_signature(&key.public_hex(), b"receipT", &sig));
        let other = ReceiptKey::from_hex(&"02".repeat(32)).unwrap();
        assert!(!verify_signature(&other.public_hex(), b"receipt", &sig));
    }

    #[test]
    fn a_rotated_key_still_names_the_key_of_old_receipts() {
        let old = ReceiptKey::from_hex(&"01".repeat(32)).unwrap();
        let old_sig = old.sign(b"old receipt");
        let new = ReceiptKey::from_hex(&"02".repeat(32))
            .unwrap()
            .with_previous(&[&old.public_hex()])
            .unwrap();
        let new_sig = new.sign(b"new receipt");
        assert_eq!(new.key_for(b"old receipt", &old_sig), old.public_hex());
        assert_eq!(new.key_for(b"new receipt", &new_sig), new.public_hex());
        assert!(verify_signature(
            &new.key_for(b"old receipt", &old_sig),
            b"old receipt",
            &old_sig
        ));
        // a forged signature names the current key, which refuses it
        assert_eq!(new.key_for(b"old receipt", &new_sig), new.public_hex());
        assert!(!verify_signature(
            &new.public_hex(),
            b"old receipt",
            &new_sig
        ));
        // an earlier key must be a valid public key
        assert!(
            ReceiptKey::from_hex(&"02".repeat(32))
                .unwrap()
                .with_previous(&["abcd"])
                .is_err()
        );
    }
}
