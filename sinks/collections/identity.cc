#include "sinks/collections/identity.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

#include <rapidjson/document.h>

#include "base/json.h"
#include "base/log.h"
#include "kube/limits.h"

namespace kube9::sinks::collections {
namespace {

// Fixed context of the namespace key derivation; a new version string would re-key every id.
constexpr std::string_view kNamespaceKeyContext = "kube9-operator namespace-id v1";

std::string Hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

std::array<unsigned char, 32> HmacSha256(std::string_view key, std::string_view message) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), out.data(), &len);
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(digest, sizeof digest);
}

ClusterIdentity::ClusterIdentity(std::string_view source, std::string_view namespace_key_source)
    : namespace_key_(HmacSha256(namespace_key_source, kNamespaceKeyContext)) {
  const std::string hash = Sha256Hex(source);
  identifier_ = "sha256:" + hash;
  cluster_id_ = "cls_" + hash.substr(0, 32);
}

std::string ClusterIdentity::NamespaceId(std::string_view name) const {
  const auto mac = HmacSha256(
      std::string_view(reinterpret_cast<const char*>(namespace_key_.data()), namespace_key_.size()), name);
  return "namespace-" + Hex(mac.data(), mac.size()).substr(0, 12);
}

std::string NewCollectionId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes for a collection id");
  return "coll_" + Hex(bytes, sizeof bytes);
}

std::optional<ClusterIdentity> IdentityResolver::Get() {
  std::lock_guard lock(mu_);
  if (identity_) return identity_;
  const auto now = std::chrono::steady_clock::now();
  if (failed_at_ && now - *failed_at_ < kRetryAfterFailure) return std::nullopt;
  auto body = client_.GetRaw("/api/v1/namespaces/kube-system", "namespaces");
  if (body.ok()) {
    rapidjson::Document d;
    if (base::ParseJson(d, *body, kube::kObjectJson).ok() && d.IsObject() && d.HasMember("metadata") && d["metadata"].IsObject() &&
        d["metadata"].HasMember("uid") && d["metadata"]["uid"].IsString() &&
        d["metadata"]["uid"].GetStringLength() > 0) {
      identity_.emplace(d["metadata"]["uid"].GetString());
      return identity_;
    }
    log::Warn("the kube-system namespace has no UID; the cluster is identified by its API server URL");
  } else if (body.error().kind == kube::ErrorKind::kForbidden || body.error().kind == kube::ErrorKind::kNotFound) {
    log::Warn("cannot read the kube-system namespace; the cluster is identified by its API server URL",
              {{"error", body.error().message}});
  } else {
    failed_at_ = now;
    return std::nullopt;  // try again later
  }
  // The URL is guessable (10.96.0.1, ...): namespace ids are then keyed with a random secret
  // instead, which keeps them unlinkable, at the price of changing when the operator restarts.
  unsigned char secret[32];
  if (RAND_bytes(secret, sizeof secret) != 1) throw std::runtime_error("no random bytes for the namespace key");
  identity_.emplace(client_.server(), std::string_view(reinterpret_cast<const char*>(secret), sizeof secret));
  return identity_;
}

}  // namespace kube9::sinks::collections
