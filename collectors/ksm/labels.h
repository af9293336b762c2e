#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

namespace kube9::collectors::ksm {

// kube-state-metrics' conversion of Kubernetes labels or annotations into Prometheus labels
// for `kube_<resource>_labels` / `_annotations`: the keys `allow` names (or all of them when
// its first entry is "*"), sorted by key, each named `<prefix>_<key>` with characters outside
// [a-zA-Z0-9_] replaced by '_' and camelCase turned into snake_case; keys that end up with the
// same name are numbered `_conflict1`, `_conflict2`, ... as kube-state-metrics does.
// `object` is the JSON object of labels or annotations (anything else reads as empty).
std::vector<std::pair<std::string, std::string>> PrometheusLabels(std::string_view prefix,
                                                                  const rapidjson::Value* object,
                                                                  const std::vector<std::string>& allow);

// The Prometheus label name of one Kubernetes key, without prefix.
std::string LabelNameOf(std::string_view key);

}  // namespace kube9::collectors::ksm
