#include "http/tls_context.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <map>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/file.h"
#include "base/log.h"

namespace kube9::http {
namespace {

constexpr auto kCheckEvery = std::chrono::seconds(1);

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

// The reason of OpenSSL's most recent error, and the queue emptied.
std::string SslError() {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error()) last = e;
  if (last == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(last);
  return reason ? reason : fmt::format("error {:#x}", last);
}

// Never prompt on a terminal for an encrypted key's passphrase.
int NoPassphrase(char*, int, int, void*) { return 0; }

// The certificates of a PEM text, in order.
std::vector<X509Ptr> ReadCertificates(const std::string& pem) {
  std::vector<X509Ptr> out;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr)) out.emplace_back(x);
  ERR_clear_error();  // the end of the text reads as an error
  return out;
}

// What the verification callback needs, owned by the SSL_CTX (freed with it: connections
// keep their context alive after the server dropped it).
struct ClientPolicy {
  bool verify_chain = false;
  std::vector<std::string> allowed_sans;
};

void FreePolicy(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<ClientPolicy*>(ptr); }

int PolicyIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, FreePolicy);
  return index;
}

// The SANs of a certificate as Go prints them: DNS names, e-mail addresses, IPs, URIs.
std::vector<std::string> SubjectAltNames(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS || n->type == GEN_EMAIL || n->type == GEN_URI) {
      const ASN1_IA5STRING* s = n->d.ia5;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
    } else if (n->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = n->d.ip;
      char text[INET6_ADDRSTRLEN] = {};
      const int len = ASN1_STRING_length(ip);
      const int family = len == 4 ? AF_INET : (len == 16 ? AF_INET6 : 0);
      if (family && inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text)) out.emplace_back(text);
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

// Replaces OpenSSL's chain verification: verifies the chain when the policy says so (not for
// RequestClientCert and RequireAnyClientCert), then checks the leaf's SANs.
int VerifyClient(X509_STORE_CTX* store, void* arg) {
  const auto* policy = static_cast<const ClientPolicy*>(arg);
  if (policy->verify_chain && X509_verify_cert(store) <= 0) return 0;
  if (policy->allowed_sans.empty()) return 1;
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (leaf) {
    for (const auto& san : SubjectAltNames(leaf)) {
      if (std::find(policy->allowed_sans.begin(), policy->allowed_sans.end(), san) != policy->allowed_sans.end()) {
        return 1;
      }
    }
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

struct CipherInfo {
  std::string openssl_name;
  bool tls13 = false;
};

// Every cipher suite this OpenSSL knows, by IANA name.
const std::map<std::string, CipherInfo, std::less<>>& CipherTable() {
  static const auto table = [] {
    std::map<std::string, CipherInfo, std::less<>> t;
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return t;
    SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
    STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
      const char* iana = SSL_CIPHER_standard_name(c);
      if (iana) t[iana] = CipherInfo{SSL_CIPHER_get_name(c), std::string_view(SSL_CIPHER_get_version(c)) == "TLSv1.3"};
    }
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return t;
  }();
  return table;
}

const std::map<std::string, std::string, std::less<>> kCurves = {
    {"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}, {"X25519", "X25519"}};

// The PEM text of a file setting or its inline twin; "" with a problem added when unreadable.
std::string Pem(const std::string& file, const std::string& inline_pem, std::string_view file_key,
                WebConfigProblems& problems) {
  if (file.empty()) return inline_pem;
  auto content = base::ReadFile(file, kMaxWebFileBytes, base::FileKind::kRegular);
  if (!content.ok()) {
    problems.push_back(fmt::format("tls_server_config.{} {}: cannot read it: {}", file_key, file, content.error()));
    return "";
  }
  if (content->empty()) problems.push_back(fmt::format("tls_server_config.{} {}: is empty", file_key, file));
  return std::move(content).value();
}

std::string Where(std::string_view file_key, std::string_view pem_key, const std::string& file) {
  return file.empty() ? fmt::format("tls_server_config.{}", pem_key)
                      : fmt::format("tls_server_config.{} {}", file_key, file);
}

}  // namespace

bool IsKnownCipherSuite(std::string_view iana_name) { return CipherTable().contains(iana_name); }

bool IsKnownCurve(std::string_view go_name) { return kCurves.contains(go_name); }

base::Expected<std::shared_ptr<SSL_CTX>, WebConfigProblems> BuildSslContext(const TlsSettings& s) {
  WebConfigProblems problems;
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return base::Unexpected(WebConfigProblems{"cannot create a TLS context: " + SslError()});
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, s.min_version);
  SSL_CTX_set_max_proto_version(c, s.max_version);
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                             (s.prefer_server_cipher_suites ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
  // Sessions resume only with the same client-certificate policy.
  static constexpr unsigned char kSessionContext[] = "kube9-operator";
  SSL_CTX_set_session_id_context(c, kSessionContext, sizeof kSessionContext - 1);

  // Certificate chain: the leaf first, then intermediates.
  const std::string cert_where = Where("cert_file", "cert", s.cert_file);
  const std::string cert_pem = Pem(s.cert_file, s.cert_pem, "cert_file", problems);
  std::vector<X509Ptr> chain;
  if (!cert_pem.empty()) {
    chain = ReadCertificates(cert_pem);
    if (chain.empty()) {
      problems.push_back(cert_where + ": no PEM certificate in it");
    } else if (SSL_CTX_use_certificate(c, chain.front().get()) != 1) {
      problems.push_back(fmt::format("{}: unusable certificate: {}", cert_where, SslError()));
      chain.clear();
    } else {
      for (std::size_t i = 1; i < chain.size(); ++i) {
        if (SSL_CTX_add1_chain_cert(c, chain[i].get()) != 1) {
          problems.push_back(fmt::format("{}: unusable intermediate certificate: {}", cert_where, SslError()));
        }
      }
    }
  }

  const std::string key_where = Where("key_file", "key", s.key_file);
  const std::string key_pem = Pem(s.key_file, s.key_pem, "key_file", problems);
  if (!key_pem.empty()) {
    BioPtr bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
    std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
    if (!key) {
      problems.push_back(
          fmt::format("{}: no usable PEM private key in it (an encrypted key is not supported): {}", key_where, SslError()));
    } else if (!chain.empty() && X509_check_private_key(chain.front().get(), key.get()) != 1) {
      problems.push_back(fmt::format("{}: the key does not belong to the certificate of {}", key_where, cert_where));
      ERR_clear_error();
    } else if (SSL_CTX_use_PrivateKey(c, key.get()) != 1) {
      problems.push_back(fmt::format("{}: unusable private key: {}", key_where, SslError()));
    }
  }

  // Client certificates: the CA they are verified against, also sent to clients as the list of
  // acceptable issuers.
  if (!s.client_ca_file.empty() || !s.client_ca_pem.empty()) {
    const std::string ca_where = Where("client_ca_file", "client_ca", s.client_ca_file);
    const std::size_t before = problems.size();
    const std::string ca_pem = Pem(s.client_ca_file, s.client_ca_pem, "client_ca_file", problems);
    if (problems.size() == before) {
      auto cas = ReadCertificates(ca_pem);
      if (cas.empty()) problems.push_back(ca_where + ": no PEM certificate in it");
      X509_STORE* store = SSL_CTX_get_cert_store(c);
      for (const auto& ca : cas) {
        if (X509_STORE_add_cert(store, ca.get()) != 1 || SSL_CTX_add_client_CA(c, ca.get()) != 1) {
          problems.push_back(fmt::format("{}: unusable CA certificate: {}", ca_where, SslError()));
          break;
        }
      }
    }
  }
  if (s.client_auth != ClientAuth::kNoClientCert) {
    int mode = SSL_VERIFY_PEER;
    if (s.client_auth == ClientAuth::kRequireAnyClientCert || s.client_auth == ClientAuth::kRequireAndVerifyClientCert) {
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    auto* policy = new ClientPolicy{s.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                                        s.client_auth == ClientAuth::kRequireAndVerifyClientCert,
                                    s.client_allowed_sans};
    SSL_CTX_set_ex_data(c, PolicyIndex(), policy);  // freed with the context
    SSL_CTX_set_verify(c, mode, nullptr);
    SSL_CTX_set_cert_verify_callback(c, VerifyClient, policy);
  }

  // Cipher suites: TLS 1.2 ones go to the cipher list, TLS 1.3 ones (when any is named) to the
  // 1.3 suites; like Go, naming only TLS 1.2 suites leaves TLS 1.3's defaults.
  if (!s.cipher_suites.empty()) {
    std::string tls12, tls13;
    for (const auto& name : s.cipher_suites) {
      auto it = CipherTable().find(name);
      if (it == CipherTable().end()) {
        problems.push_back(fmt::format("tls_server_config.cipher_suites: unknown cipher suite '{}'", name));
        continue;
      }
      std::string& list = it->second.tls13 ? tls13 : tls12;
      list += (list.empty() ? "" : ":") + it->second.openssl_name;
    }
    if (!tls12.empty() && SSL_CTX_set_cipher_list(c, tls12.c_str()) != 1) {
      problems.push_back(fmt::format("tls_server_config.cipher_suites: none of the TLS 1.2 suites is usable: {}",
                                     SslError()));
    }
    if (!tls13.empty() && SSL_CTX_set_ciphersuites(c, tls13.c_str()) != 1) {
      problems.push_back(fmt::format("tls_server_config.cipher_suites: none of the TLS 1.3 suites is usable: {}",
                                     SslError()));
    }
  }
  if (!s.curve_preferences.empty()) {
    std::string groups;
    for (const auto& name : s.curve_preferences) {
      auto it = kCurves.find(name);
      if (it == kCurves.end()) {
        problems.push_back(fmt::format("tls_server_config.curve_preferences: unknown curve '{}'", name));
        continue;
      }
      groups += (groups.empty() ? "" : ":") + it->second;
    }
    if (!groups.empty() && SSL_CTX_set1_groups_list(c, groups.c_str()) != 1) {
      problems.push_back(fmt::format("tls_server_config.curve_preferences: not usable: {}", SslError()));
    }
  }
  if (!problems.empty()) return base::Unexpected(std::move(problems));
  return ctx;
}

base::Expected<std::unique_ptr<TlsServerContext>, WebConfigProblems> TlsServerContext::Create(
    TlsSettings settings, const base::Clock& clock, TlsReloadObserver* observer) {
  std::unique_ptr<TlsServerContext> self(new TlsServerContext(std::move(settings), clock, observer));
  self->stamps_ = self->StampFiles();  // before reading: a change while reading is seen next time
  auto ctx = BuildSslContext(self->settings_);
  if (!ctx.ok()) return base::Unexpected(std::move(ctx.error()));
  self->current_ = std::move(ctx).value();
  self->last_check_ = clock.Now();
  self->ReportCertificate();
  return self;
}

void TlsServerContext::ReportCertificate() const {
  if (!observer_) return;
  const X509* cert = SSL_CTX_get0_certificate(current_.get());
  struct tm tm {};
  if (!cert || ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return;
  observer_->OnTlsCertificate(std::chrono::system_clock::from_time_t(timegm(&tm)));
}

std::vector<TlsServerContext::Stamp> TlsServerContext::StampFiles() const {
  std::vector<Stamp> out;
  for (const std::string* path : {&settings_.cert_file, &settings_.key_file, &settings_.client_ca_file}) {
    if (path->empty()) continue;
    Stamp s;
    struct stat st {};
    if (::stat(path->c_str(), &st) != 0) {
      s.error = errno;
    } else {
      s.dev = st.st_dev;
      s.ino = st.st_ino;
      s.size = st.st_size;
      s.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
    }
    out.push_back(s);
  }
  return out;
}

std::shared_ptr<SSL_CTX> TlsServerContext::Current() {
  std::lock_guard lock(mu_);
  const auto now = clock_.Now();
  if (now - last_check_ < kCheckEvery) return current_;
  last_check_ = now;
  auto stamps = StampFiles();
  if (stamps == stamps_) return current_;
  stamps_ = std::move(stamps);
  auto ctx = BuildSslContext(settings_);
  if (!ctx.ok()) {
    std::string why;
    for (const auto& p : ctx.error()) why += (why.empty() ? "" : "; ") + p;
    log::Warn("cannot reload the TLS certificate files; serving the previous certificate", {{"error", why}});
    if (observer_) observer_->OnTlsReload(false);
    return current_;
  }
  current_ = std::move(ctx).value();
  log::Info("reloaded the TLS certificate files", {{"cert_file", settings_.cert_file}});
  if (observer_) observer_->OnTlsReload(true);
  ReportCertificate();
  return current_;
}

}  // namespace kube9::http
