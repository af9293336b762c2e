#pragma once

#include <cstddef>

#include "base/json.h"

// How much the operator reads from the API server and the local Kubernetes configuration.
// docs/hardening.md ("Outside replies") explains each limit and what happens beyond it.
namespace kube9::kube {

// One Kubernetes object as JSON: a LIST item, a GET. Real objects are far smaller: etcd
// refuses values over 1.5 MiB by default (--max-request-bytes) and the API server request
// bodies over 3 MiB, so 8 MiB leaves room for the JSON of the largest object a cluster with
// raised limits can hold, while what parsing one costs (2-5 times its size) still fits beside
// the store in the chart's 128 MiB limit. Built-in kinds nest about 15 levels; 512 only
// keeps a pathological reply from costing more than a clear error.
inline constexpr base::JsonLimits kObjectJson{8 << 20, 512};
// A watch event is an object in a small envelope: {"type":"MODIFIED","object":{...}}.
inline constexpr base::JsonLimits kWatchEventJson{kObjectJson.max_bytes + (64 << 10), kObjectJson.max_depth + 1};

// GET /version: a dozen short strings in one object.
inline constexpr base::JsonLimits kVersionJson{64 << 10, 8};
// Discovery: GET /apis (an APIGroupList, a few hundred bytes per group) and GET
// /apis/<group>/<version> (an APIResourceList, a few hundred bytes per resource). A cluster
// with 500 CRD groups answers /apis in about 150 KiB; nesting is 5 levels.
inline constexpr base::JsonLimits kDiscoveryJson{4 << 20, 16};
// The API server refuses a ConfigMap whose data passes 1 MiB; metadata (managedFields) on top.
inline constexpr std::size_t kMaxConfigMapReply = 2 << 20;

// A kubeconfig with embedded certificates for a few hundred clusters is under 1 MiB. yaml-cpp
// spends 100-250 bytes of memory per byte of a dense document, so the shape is bounded too:
// nesting (flow brackets and block indentation) and an estimate of the node count.
inline constexpr std::size_t kMaxKubeconfigBytes = 1 << 20;
inline constexpr int kMaxYamlFlowDepth = 64;
inline constexpr int kMaxYamlIndent = 256;  // columns before a line's first node
inline constexpr std::size_t kMaxYamlNodes = 100'000;
// Files a kubeconfig points to (client certificate and key, token file): PEM or a token.
inline constexpr std::size_t kMaxCredentialFileBytes = 1 << 20;
// An exec credential plugin's stdout: an ExecCredential holds a token or a certificate and
// key, a few KiB.
inline constexpr base::JsonLimits kExecCredentialJson{1 << 20, 64};

}  // namespace kube9::kube
