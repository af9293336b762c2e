#pragma once

#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "kube/client.h"

// What kube9-server may learn about which cluster it talks to: hashes of a stable per-cluster
// value (the kube-system namespace's UID), never the value itself.
namespace kube9::sinks::collections {

class ClusterIdentity {
 public:
  // `source`: the UID of the kube-system namespace, or the API server URL when that cannot be read.
  // The namespace key is derived from `namespace_key_source`, by default `source` itself; with
  // the URL fallback, which is guessable, it must be a secret of its own.
  explicit ClusterIdentity(std::string_view source) : ClusterIdentity(source, source) {}
  ClusterIdentity(std::string_view source, std::string_view namespace_key_source);

  // "sha256:" + 64 lowercase hex of SHA-256(source): the registration's clusterIdentifier.
  const std::string& identifier() const { return identifier_; }
  // "cls_" + the first 32 hex of that hash: every collection's data.clusterId.
  const std::string& cluster_id() const { return cluster_id_; }
  // "namespace-" + 12 hex of HMAC-SHA256(key, name). The key is derived from `source` itself,
  // which never leaves the cluster, so neither a table of common names nor the identifier
  // lets anyone outside the cluster map an id back to a name.
  std::string NamespaceId(std::string_view name) const;

 private:
  std::string identifier_;
  std::string cluster_id_;
  std::array<unsigned char, 32> namespace_key_{};
};

// Finds the cluster's identity once: the kube-system namespace's UID, or the API server URL when
// that namespace cannot be read (forbidden, missing). Transient errors leave it unknown for now,
// so that a blip never switches a cluster to the fallback identity. Thread-safe.
class IdentityResolver {
 public:
  explicit IdentityResolver(kube::Client& client) : client_(client) {}
  // After a transient failure, asks the API server again only after `kRetryAfterFailure`.
  std::optional<ClusterIdentity> Get();
  static constexpr std::chrono::seconds kRetryAfterFailure{10};

 private:
  kube::Client& client_;
  std::mutex mu_;
  std::optional<ClusterIdentity> identity_;
  std::optional<std::chrono::steady_clock::time_point> failed_at_;
};

// "coll_" + 32 lowercase hex from a cryptographic random source.
std::string NewCollectionId();

std::string Sha256Hex(std::string_view data);

}  // namespace kube9::sinks::collections
