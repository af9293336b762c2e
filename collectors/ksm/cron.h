#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// kube_cronjob_next_schedule_time as kube-state-metrics computes it: its cron library
// (github.com/netresearch/go-cron v0.15, ParseStandard) and Go's time zones, re-done here so the
// value matches to the second, DST transitions included.
namespace kube9::collectors::ksm::cron {

// A time zone as Go's time.Location: the offset east of UTC in force at a Unix time, from a
// TZif file (its transitions, then its POSIX TZ rule, expanded up to 2200).
class Zone {
 public:
  struct Period {
    std::int32_t offset;      // seconds east of UTC
    std::int64_t start, end;  // [start, end): Unix seconds the offset holds over
  };
  static std::shared_ptr<const Zone> Utc();
  // From the bytes of a TZif file (RFC 8536); nullptr when they are not one.
  static std::shared_ptr<const Zone> FromTzif(std::string_view data);
  // A zone that only has a POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"); nullptr when invalid.
  static std::shared_ptr<const Zone> FromRule(std::string_view rule);

  Period Lookup(std::int64_t unix) const;

 private:
  std::vector<std::int64_t> at_;       // transition times, ascending
  std::vector<std::int32_t> offsets_;  // offsets_[i] holds from at_[i-1] (or the start of time) to at_[i]
};

// Go's time.LoadLocation: "" and "UTC" are UTC, "Local" the process' zone (TZ, else
// /etc/localtime), any other name a file under `zoneinfo` ($ZONEINFO when set, else
// /usr/share/zoneinfo). nullptr when it cannot be loaded. Loaded zones are kept (few exist).
std::shared_ptr<const Zone> LoadZone(std::string_view name);
std::shared_ptr<const Zone> LocalZone();

// A parsed schedule: five fields or a descriptor (@daily, @every 1h30m, ...), with the zone of
// a CRON_TZ=/TZ= prefix (the process' zone without one).
class Schedule {
 public:
  // nullopt when go-cron's standard parser rejects `spec`.
  static std::optional<Schedule> Parse(std::string_view spec);
  // The first activation after `unix` (whole seconds), as go-cron's Next; Go's zero time
  // (kZeroTime) when none falls within five years.
  std::int64_t Next(std::int64_t unix) const;

  static constexpr std::int64_t kZeroTime = -62135596800;  // 0001-01-01T00:00:00Z

 private:
  std::shared_ptr<const Zone> zone_;
  std::uint64_t minute_ = 0, hour_ = 0, dom_ = 0, month_ = 0, dow_ = 0;
  std::int64_t every_ = 0;  // @every: seconds between activations (0: a field schedule)
  bool never_ = false;      // @triggered, @manual, @none
};

}  // namespace kube9::collectors::ksm::cron
