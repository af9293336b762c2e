#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace kube9::exporter {

// The fields of /proc/<pid>/stat that the process_* metrics need.
struct ProcStat {
  unsigned long long utime_ticks = 0;
  unsigned long long stime_ticks = 0;
  unsigned long long start_ticks = 0;  // since boot
  unsigned long long vsize_bytes = 0;
  long long rss_pages = 0;
};
std::optional<ProcStat> ParseProcStat(std::string_view text);
// The `btime` line of /proc/stat: boot time in Unix seconds.
std::optional<long long> ParseBootTime(std::string_view proc_stat);

// process_* metrics in the conventional names (as Go and Python clients export them), read
// from /proc at scrape time. `proc_root` is /proc, or a fixture folder in tests.
class ProcessMetrics final : public prometheus::Collectable {
 public:
  explicit ProcessMetrics(std::string proc_root = "/proc");
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string proc_root_;
};

}  // namespace kube9::exporter
