#include "assessment/checks/problems.h"

#include <fmt/format.h>

namespace kube9::assessment {

Problems::Problems(std::string_view population, std::vector<Kind> kinds) : population_name_(population) {
  for (const Kind& k : kinds) found_.push_back({k, 0, {}});
}

void Problems::Affected(std::size_t kind, std::string_view ns, std::string_view name) {
  Found& f = found_.at(kind);
  ++f.count;
  if (f.examples.size() < 3) f.examples.push_back(ns.empty() ? std::string(name) : fmt::format("{}/{}", ns, name));
}

namespace {

int Rank(Status s) { return s == Status::kFailing ? 2 : s == Status::kWarning ? 1 : 0; }

}  // namespace

Result Problems::Verdict() const {
  Status status = Status::kPassing;
  std::string parts;
  for (const Found& f : found_) {
    if (f.count == 0) continue;
    if (Rank(f.kind.status) > Rank(status)) status = f.kind.status;
    std::string examples;
    for (const auto& e : f.examples) examples += (examples.empty() ? "" : ", ") + e;
    parts += fmt::format("{}{} {} (e.g. {})", parts.empty() ? "" : "; ", f.count, f.kind.what, examples);
  }
  if (parts.empty()) return {Status::kPassing, fmt::format("0 of {} {}: none found", population_, population_name_)};
  return {status, fmt::format("of {} {}: {}", population_, population_name_, parts)};
}

std::optional<Result> SkippedUnlessCollected(std::initializer_list<Needed> needed) {
  for (const Needed& n : needed) {
    if (n.store == nullptr) return SkippedWithout(n.collector);
  }
  return std::nullopt;
}

}  // namespace kube9::assessment
