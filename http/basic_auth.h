#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace kube9::http {

// HTTP basic authentication against bcrypt hashes (the web config's basic_auth_users).
// bcrypt costs tens of milliseconds by design; a scraper sends the same credentials every
// 15 s, so a successful check is remembered (under a SHA-256 of the user, password and hash,
// never the password itself) and later checks of the same credentials are a lookup. Failed
// checks are not remembered and are computed one at a time, so guessing cannot take more than
// one core. Thread-safe.
class BasicAuth {
 public:
  // `users`: name → bcrypt hash, already validated (IsBcryptHash).
  explicit BasicAuth(std::map<std::string, std::string, std::less<>> users, std::size_t cache_entries = 64);

  // True when `authorization` (the Authorization header's value) is "Basic" with a configured
  // user and that user's password.
  bool Check(std::string_view authorization) const;

  // Verifications that ran bcrypt (the rest came from the cache); for tests.
  std::size_t bcrypt_runs() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  bool Verify(std::string_view user, std::string_view password) const;

  const std::map<std::string, std::string, std::less<>> users_;
  const std::size_t cache_entries_;
  // A hash of a password nobody has, at the users' cost, checked for unknown users so that a
  // wrong name takes as long as a wrong password.
  std::string decoy_hash_;

  mutable std::mutex cache_mu_;
  mutable std::set<Digest> verified_;
  mutable std::mutex bcrypt_mu_;  // one bcrypt at a time
  mutable std::size_t bcrypt_runs_ = 0;
};

// Whether `password` matches the bcrypt `hash` ($2a$, $2b$, $2y$), compared in constant time.
bool VerifyBcrypt(std::string_view password, const std::string& hash);

// A bcrypt hash of `password` at `cost` (4 to 31), with a random salt ("" on failure). For
// tests and the decoy.
std::string HashBcrypt(std::string_view password, int cost);

}  // namespace kube9::http
