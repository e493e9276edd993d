# Sourced by the scripts that start `vbp`: the platform's three secrets as files.
#
#   vbp_key_files DIR   makes DIR/jwt-secret, DIR/master-key and DIR/receipt-key (32 random
#                       bytes in hex, mode 600) where missing, keeps those that exist, and
#                       exports VBP_JWT_SECRET_FILE, VBP_MASTER_KEY_FILE, VBP_RECEIPT_KEY_FILE
#                       for them. Servers that must agree (a cluster, a load generator that
#                       signs tokens) share one DIR.

vbp_key_files() {
  local dir="$1" key
  mkdir -p "$dir"
  (umask 077
   for key in jwt-secret master-key receipt-key; do
     [ -s "$dir/$key" ] || od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$dir/$key"
   done)
  dir="$(cd "$dir" && pwd)"
  export VBP_JWT_SECRET_FILE="$dir/jwt-secret" VBP_MASTER_KEY_FILE="$dir/master-key" \
         VBP_RECEIPT_KEY_FILE="$dir/receipt-key"
}
