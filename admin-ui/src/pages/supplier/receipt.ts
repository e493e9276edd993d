// Checks a bid receipt's Ed25519 signature in the browser, against the platform's published
// receipt key (GET /api/receipt-key): WebCrypto where the browser has Ed25519, otherwise
// @noble/ed25519 (loaded only then).

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const clean = hex.trim();
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error('not hex');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64.trim());
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Whether `signatureB64` is the Ed25519 signature of `message` (its UTF-8 bytes) by `publicKeyHex`. */
export async function verifyReceipt(publicKeyHex: string, message: string, signatureB64: string): Promise<boolean> {
  let key: Uint8Array<ArrayBuffer>;
  let sig: Uint8Array<ArrayBuffer>;
  try {
    key = hexToBytes(publicKeyHex);
    sig = base64ToBytes(signatureB64);
  } catch {
    return false;
  }
  if (key.length !== 32 || sig.length !== 64) return false;
  const msg = new TextEncoder().encode(message);
  let cryptoKey: CryptoKey | null = null;
  try {
    cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    cryptoKey = null; // no Ed25519 in this browser's WebCrypto
  }
  if (cryptoKey) {
    try {
      return await crypto.subtle.verify({ name: 'Ed25519' }, cryptoKey, sig, msg);
    } catch {
      // fall through to the library
    }
  }
  const ed = await import('@noble/ed25519');
  try {
    return await ed.verifyAsync(sig, msg, key);
  } catch {
    return false;
  }
}
