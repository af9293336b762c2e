#include "exporter/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>

#include "base/file.h"

namespace kube9::exporter {
namespace {

// A /proc file, or "" when it cannot be read (the parsers then find nothing).
std::string Slurp(const std::string& path) {
  auto content = base::ReadFile(path);
  return content.ok() ? std::move(content).value() : std::string();
}

prometheus::MetricFamily Single(const char* name, const char* help, prometheus::MetricType type, double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) m.counter.value = value;
  else m.gauge.value = value;
  f.metric.push_back(m);
  return f;
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  // The command name is in parentheses and may itself contain spaces or ')'.
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) return {};
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
  std::size_t pos = close + 1;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n')) ++pos;
    std::size_t end = pos;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
    if (end > pos) fields.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  if (fields.size() < 22) return {};
  auto num = [&](std::size_t field_number, auto& out) {
    std::string_view s = fields[field_number - 3];
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  };
  ProcStat st;
  if (!num(14, st.utime_ticks) || !num(15, st.stime_ticks) || !num(22, st.start_ticks) ||
      !num(23, st.vsize_bytes) || !num(24, st.rss_pages)) {
    return {};
  }
  return st;
}

std::optional<long long> ParseBootTime(std::string_view proc_stat) {
  auto at = proc_stat.find("\nbtime ");
  if (at == std::string_view::npos) return {};
  std::string_view rest = proc_stat.substr(at + 7);
  long long v = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec != std::errc()) return {};
  return v;
}

ProcessMetrics::ProcessMetrics(std::string proc_root) : proc_root_(std::move(proc_root)) {}

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  if (auto st = ParseProcStat(Slurp(proc_root_ + "/self/stat"))) {
    out.push_back(Single("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                         MetricType::Counter, static_cast<double>(st->utime_ticks + st->stime_ticks) / ticks));
    out.push_back(Single("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
                         static_cast<double>(st->rss_pages) * page));
    out.push_back(Single("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
                         static_cast<double>(st->vsize_bytes)));
    if (auto boot = ParseBootTime(Slurp(proc_root_ + "/stat"))) {
      out.push_back(Single("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                           MetricType::Gauge, static_cast<double>(*boot) + static_cast<double>(st->start_ticks) / ticks));
    }
  }
  if (DIR* dir = opendir((proc_root_ + "/self/fd").c_str())) {
    int count = 0;
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') ++count;
    }
    closedir(dir);
    out.push_back(Single("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, count));
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    out.push_back(Single("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
                         static_cast<double>(lim.rlim_cur)));
  }
  return out;
}

}  // namespace kube9::exporter
