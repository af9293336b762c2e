#include "sinks/upload/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "base/log.h"

namespace kube9::sinks::upload {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSuffix = ".json.gz";
constexpr std::string_view kTempSuffix = ".tmp";
constexpr std::size_t kSeqDigits = 16;
constexpr std::size_t kMaxNamePart = 64;

std::string Errno() { return std::strerror(errno); }

bool ValidPart(std::string_view s, bool is_type) {
  if (s.empty() || s.size() > kMaxNamePart) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    (is_type ? c == '-' : (c == '_' || (c >= 'A' && c <= 'Z')));
    if (!ok) return false;
  }
  return true;
}

std::string FileName(const Spool::Item& item) {
  return fmt::format("{:0{}d}.{}.{}{}", item.seq, kSeqDigits, item.type, item.collection_id, kSuffix);
}

// The inverse of FileName; nullopt for anything the spool did not write.
std::optional<Spool::Item> ParseFileName(std::string_view name) {
  if (!name.ends_with(kSuffix)) return std::nullopt;
  name.remove_suffix(kSuffix.size());
  const auto dot1 = name.find('.');
  const auto dot2 = name.find('.', dot1 == name.npos ? name.npos : dot1 + 1);
  if (dot1 != kSeqDigits || dot2 == name.npos) return std::nullopt;
  Spool::Item item;
  for (char c : name.substr(0, dot1)) {
    if (c < '0' || c > '9') return std::nullopt;
    item.seq = item.seq * 10 + static_cast<std::uint64_t>(c - '0');
  }
  item.type = std::string(name.substr(dot1 + 1, dot2 - dot1 - 1));
  item.collection_id = std::string(name.substr(dot2 + 1));
  if (!ValidPart(item.type, true) || !ValidPart(item.collection_id, false)) return std::nullopt;
  return item;
}

// mkdir -p, creating each missing level with `mode`.
bool MakeDirs(const std::string& dir, mode_t mode) {
  fs::path partial;
  for (const auto& part : fs::path(dir)) {
    partial /= part;
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) return false;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return false;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return false;
  }
  return true;
}

bool SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// Writes `data` to `path` and fsyncs it; on failure the file is removed.
base::Expected<base::Ok, std::string> WriteDurably(const std::string& path, std::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return base::Unexpected("cannot create " + path + ": " + Errno());
  std::string error;
  for (std::size_t done = 0; done < data.size() && error.empty();) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = "cannot write " + path + ": " + Errno();
    else done += static_cast<std::size_t>(n);
  }
  if (error.empty() && ::fsync(fd) != 0) error = "cannot fsync " + path + ": " + Errno();
  if (::close(fd) != 0 && error.empty()) error = "cannot close " + path + ": " + Errno();
  if (error.empty()) return base::Ok{};
  ::unlink(path.c_str());
  return base::Unexpected(error);
}

}  // namespace

Spool::Spool(std::string dir, std::uint64_t max_bytes, SpoolObserver* observer)
    : dir_(std::move(dir)), max_bytes_(max_bytes), observer_(observer) {}

base::Expected<std::unique_ptr<Spool>, std::string> Spool::Open(std::string dir, std::uint64_t max_bytes,
                                                                SpoolObserver* observer) {
  if (dir.empty()) return base::Unexpected(std::string("upload spool: no directory given"));
  if (!MakeDirs(dir, 0700)) {
    return base::Unexpected("upload spool: cannot create directory " + dir + ": " + Errno());
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return base::Unexpected("upload spool: directory " + dir + " is not writable: " + Errno());
  }
  std::unique_ptr<Spool> spool(new Spool(std::move(dir), max_bytes, observer));

  std::error_code ec;
  fs::directory_iterator it(spool->dir_, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code file_ec;
    if (name.ends_with(kTempSuffix)) {
      // Left by a crash in the middle of Put(): that payload was never accepted.
      fs::remove(it->path(), file_ec);
      log::Info("upload spool: removed an incomplete file", {{"dir", spool->dir_}, {"file", name}});
      continue;
    }
    auto item = it->is_regular_file(file_ec) ? ParseFileName(name) : std::nullopt;
    const std::uintmax_t size = item ? it->file_size(file_ec) : 0;
    if (!item || file_ec) {
      log::Warn("upload spool: ignoring a file it did not write", {{"dir", spool->dir_}, {"file", name}});
      continue;
    }
    item->bytes = size;
    spool->bytes_ += size;
    spool->next_seq_ = std::max(spool->next_seq_, item->seq + 1);
    spool->items_.emplace(item->seq, std::move(*item));
  }
  if (ec) return base::Unexpected("upload spool: cannot read directory " + spool->dir_ + ": " + ec.message());

  std::lock_guard lock(spool->mu_);
  // The bound may have been lowered since the previous run.
  while (spool->bytes_ > spool->max_bytes_) spool->EraseLocked(spool->items_.begin()->second, "spool_full");
  spool->NotifyLocked();
  log::Info("upload spool opened", {{"dir", spool->dir_},
                                    {"items", spool->items_.size()},
                                    {"bytes", spool->bytes_},
                                    {"max_bytes", spool->max_bytes_}});
  return spool;
}

base::Expected<Spool::Item, std::string> Spool::Put(std::string_view type, std::string_view collection_id,
                                                    std::string_view gzip_body) {
  if (!ValidPart(type, true) || !ValidPart(collection_id, false)) {
    return base::Unexpected(
        fmt::format("upload spool: invalid type \"{}\" or collection id \"{}\"", type, collection_id));
  }
  Item item{0, std::string(type), std::string(collection_id), gzip_body.size()};
  if (item.bytes > max_bytes_) {
    std::lock_guard lock(mu_);
    if (observer_) observer_->OnDrop(type, "too_large");
    log::Warn("upload spool: payload larger than the whole spool, dropped",
              {{"type", type}, {"collection_id", collection_id}, {"bytes", item.bytes}, {"max_bytes", max_bytes_}});
    return base::Unexpected(fmt::format("upload spool: payload of {} bytes exceeds the spool size {}", item.bytes,
                                        max_bytes_));
  }
  {
    std::lock_guard lock(mu_);
    item.seq = next_seq_++;
  }
  // The disk work happens outside the lock so that readers are not held up by fsync.
  const std::string path = PathOf(item);
  const std::string temp = path + std::string(kTempSuffix);
  auto written = WriteDurably(temp, gzip_body);
  if (written.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    written = base::Unexpected("cannot rename " + temp + ": " + Errno());
    ::unlink(temp.c_str());
  }
  if (written.ok() && !SyncDir(dir_)) {
    // The file is complete and in place; only its durability across a power loss is in doubt.
    // Keeping it (and counting it) beats an untracked file outside the bound.
    log::Warn("upload spool: cannot fsync the directory", {{"dir", dir_}, {"error", Errno()}});
  }
  std::lock_guard lock(mu_);
  if (!written.ok()) {
    if (observer_) observer_->OnDrop(type, "io_error");
    log::Error("upload spool: cannot store payload", {{"type", type}, {"collection_id", collection_id},
                                                      {"error", written.error()}});
    return base::Unexpected("upload spool: " + written.error());
  }
  while (!items_.empty() && bytes_ + item.bytes > max_bytes_) EraseLocked(items_.begin()->second, "spool_full");
  items_.emplace(item.seq, item);
  bytes_ += item.bytes;
  NotifyLocked();
  return item;
}

std::vector<Spool::Item> Spool::List() const {
  std::lock_guard lock(mu_);
  std::vector<Item> out;
  out.reserve(items_.size());
  for (const auto& [seq, item] : items_) out.push_back(item);
  return out;
}

std::optional<Spool::Item> Spool::FindFirst(const std::function<bool(const Item&)>& pick) const {
  std::lock_guard lock(mu_);
  for (const auto& [seq, item] : items_) {
    if (pick(item)) return item;
  }
  return std::nullopt;
}

bool Spool::Contains(std::uint64_t seq) const {
  std::lock_guard lock(mu_);
  return items_.count(seq) > 0;
}

base::Expected<std::string, Spool::ReadError> Spool::Read(const Item& item) const {
  const std::string path = PathOf(item);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const bool gone = errno == ENOENT;
    return base::Unexpected(ReadError{"cannot open " + path + ": " + Errno(), gone});
  }
  std::string data;
  data.resize(item.bytes);
  std::size_t done = 0;
  std::optional<ReadError> error;
  while (done < data.size()) {
    const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = ReadError{"cannot read " + path + ": " + Errno(), false};
    if (n == 0) error = ReadError{"unexpected end of " + path, true};
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (error) return base::Unexpected(std::move(*error));
  return data;
}

bool Spool::Remove(const Item& item) {
  std::lock_guard lock(mu_);
  if (!EraseLocked(item, {})) return false;
  NotifyLocked();
  return true;
}

bool Spool::Drop(const Item& item, std::string_view reason) {
  std::lock_guard lock(mu_);
  if (!EraseLocked(item, reason)) return false;
  NotifyLocked();
  return true;
}

std::uint64_t Spool::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::size_t Spool::items() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

std::string Spool::PathOf(const Item& item) const { return dir_ + "/" + FileName(item); }

bool Spool::EraseLocked(const Item& wanted, std::string_view drop_reason) {
  const auto it = items_.find(wanted.seq);
  if (it == items_.end()) return false;
  const Item item = std::move(it->second);
  items_.erase(it);
  bytes_ -= item.bytes;
  // A file that cannot be unlinked is forgotten anyway: at worst it is sent again after a
  // restart, and the server deduplicates by collection id.
  if (::unlink(PathOf(item).c_str()) != 0 && errno != ENOENT) {
    log::Warn("upload spool: cannot remove file", {{"file", FileName(item)}, {"error", Errno()}});
  }
  if (!drop_reason.empty()) {
    if (observer_) observer_->OnDrop(item.type, drop_reason);
    log::Warn("upload spool: payload dropped", {{"type", item.type},
                                                {"collection_id", item.collection_id},
                                                {"bytes", item.bytes},
                                                {"reason", drop_reason}});
  }
  return true;
}

void Spool::NotifyLocked() {
  if (observer_) observer_->OnSpoolChanged(bytes_, items_.size());
}

}  // namespace kube9::sinks::upload
