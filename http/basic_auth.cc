#include "http/basic_auth.h"

#include <crypt.h>

#include <cstring>
#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "http/header_text.h"

namespace kube9::http {
namespace {

// Standard base64 (RFC 4648), padding required; nullopt-like false on anything else.
bool DecodeBase64(std::string_view in, std::string& out) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return false;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out.clear();
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
      } else if (pad > 0 || (v[j] = value(c)) < 0) {
        return false;
      }
    }
    const unsigned n = (unsigned(v[0]) << 18) | (unsigned(v[1]) << 12) | (unsigned(v[2]) << 6) | unsigned(v[3]);
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return true;
}

int CostOf(const std::string& hash) { return (hash[4] - '0') * 10 + (hash[5] - '0'); }

}  // namespace

bool VerifyBcrypt(std::string_view password, const std::string& hash) {
  // crypt_rn stops at the first NUL; a password with one cannot be what was hashed.
  if (password.find('\0') != std::string_view::npos) return false;
  auto data = std::make_unique<crypt_data>();  // about 32 KiB: not on a server thread's stack
  std::memset(data.get(), 0, sizeof(crypt_data));
  const std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  const bool ok = out && std::strlen(out) == hash.size() && CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return ok;
}

std::string HashBcrypt(std::string_view password, int cost) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting, sizeof setting)) return "";
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), setting, data.get(), sizeof(crypt_data));
  return out && out[0] == '$' ? std::string(out) : "";
}

BasicAuth::BasicAuth(std::map<std::string, std::string, std::less<>> users, std::size_t cache_entries)
    : users_(std::move(users)), cache_entries_(cache_entries) {
  int cost = 10;
  if (!users_.empty()) cost = CostOf(users_.begin()->second);
  decoy_hash_ = HashBcrypt("kube9-operator decoy", cost);
}

bool BasicAuth::Check(std::string_view authorization) const {
  // "Basic" (any case), one or more spaces, base64 of "user:password".
  const auto space = authorization.find(' ');
  if (space == std::string_view::npos || !EqualsIgnoreCase(authorization.substr(0, space), "basic")) return false;
  std::string_view encoded = authorization.substr(space);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  std::string decoded;
  if (!DecodeBase64(encoded, decoded)) return false;
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  const bool ok = Verify(std::string_view(decoded).substr(0, colon), std::string_view(decoded).substr(colon + 1));
  OPENSSL_cleanse(decoded.data(), decoded.size());
  return ok;
}

bool BasicAuth::Verify(std::string_view user, std::string_view password) const {
  auto it = users_.find(user);
  const std::string& hash = it != users_.end() ? it->second : decoy_hash_;

  Digest digest{};
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  const unsigned char zero = 0;
  unsigned int len = 0;
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  EVP_DigestUpdate(md, user.data(), user.size());
  EVP_DigestUpdate(md, &zero, 1);
  EVP_DigestUpdate(md, password.data(), password.size());
  EVP_DigestUpdate(md, &zero, 1);
  EVP_DigestUpdate(md, hash.data(), hash.size());
  EVP_DigestFinal_ex(md, digest.data(), &len);
  EVP_MD_CTX_free(md);

  if (it != users_.end()) {
    std::lock_guard lock(cache_mu_);
    if (verified_.contains(digest)) return true;
  }
  bool ok = false;
  {
    std::lock_guard lock(bcrypt_mu_);
    ++bcrypt_runs_;
    ok = VerifyBcrypt(password, hash) && it != users_.end();
  }
  if (ok) {
    std::lock_guard lock(cache_mu_);
    // Bounded: a handful of scrapers use it; when full it starts over rather than track age.
    if (verified_.size() >= cache_entries_) verified_.clear();
    verified_.insert(digest);
  }
  return ok;
}

std::size_t BasicAuth::bcrypt_runs() const {
  std::lock_guard lock(bcrypt_mu_);
  return bcrypt_runs_;
}

}  // namespace kube9::http
