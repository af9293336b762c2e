#pragma once

// A throwaway PKI for TLS tests, made in memory with OpenSSL: a CA, certificates it signs
// (with the SANs a test wants), PEM text of each, and a TLS handshake over memory BIOs so that
// a test can see what a server context accepts without a socket.

#include <memory>
#include <string>
#include <vector>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace kube9::testing {

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
  std::shared_ptr<X509> cert;
  std::shared_ptr<EVP_PKEY> key;
};

inline std::shared_ptr<EVP_PKEY> NewKey() {
  return std::shared_ptr<EVP_PKEY>(EVP_EC_gen("P-256"), EVP_PKEY_free);
}

inline std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

inline std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

// A certificate for `cn` with `sans` (e.g. "DNS:localhost,IP:127.0.0.1"), signed by `issuer`
// (self-signed when null). `ca` makes it a CA.
inline KeyPair MakeCert(const std::string& cn, const std::string& sans, const KeyPair* issuer, bool ca,
                        long serial = 1, long valid_hours = 24) {
  KeyPair out;
  out.key = NewKey();
  std::shared_ptr<X509> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid_hours * 3600);
  X509_set_pubkey(cert.get(), out.key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer->cert.get()) : name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, issuer ? issuer->cert.get() : cert.get(), cert.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  };
  add(NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (ca) add(NID_key_usage, "critical,keyCertSign,cRLSign");
  if (!sans.empty()) add(NID_subject_alt_name, sans);
  X509_sign(cert.get(), issuer ? issuer->key.get() : out.key.get(), EVP_sha256());
  out.cert = cert;
  out.cert_pem = CertPem(cert.get());
  out.key_pem = KeyPem(out.key.get());
  return out;
}

// The result of a handshake between a server context and a client.
struct Handshake {
  bool ok = false;
  std::string peer_cert_pem;  // the certificate the server presented
};

// Runs a TLS handshake over a memory BIO pair: the client trusts `trusted_ca` (when given)
// and presents `client` (when given).
inline Handshake RunHandshake(SSL_CTX* server_ctx, const KeyPair* trusted_ca, const KeyPair* client,
                           int client_max_version = 0) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> cctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (client_max_version) SSL_CTX_set_max_proto_version(cctx.get(), client_max_version);
  if (trusted_ca) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx.get()), trusted_ca->cert.get());
    SSL_CTX_set_verify(cctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (client) {
    SSL_CTX_use_certificate(cctx.get(), client->cert.get());
    SSL_CTX_use_PrivateKey(cctx.get(), client->key.get());
  }
  SSL* s = SSL_new(server_ctx);
  SSL* c = SSL_new(cctx.get());
  BIO *sb = nullptr, *cb = nullptr;
  BIO_new_bio_pair(&sb, 0, &cb, 0);
  SSL_set_bio(s, sb, sb);
  SSL_set_bio(c, cb, cb);
  SSL_set_accept_state(s);
  SSL_set_connect_state(c);
  if (trusted_ca) SSL_set1_host(c, "localhost");
  bool server_done = false, client_done = false, failed = false;
  for (int i = 0; i < 100 && !(server_done && client_done) && !failed; ++i) {
    if (!client_done) {
      int r = SSL_do_handshake(c);
      if (r == 1) client_done = true;
      else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ && SSL_get_error(c, r) != SSL_ERROR_WANT_WRITE) failed = true;
    }
    if (!server_done && !failed) {
      int r = SSL_do_handshake(s);
      if (r == 1) server_done = true;
      else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ && SSL_get_error(s, r) != SSL_ERROR_WANT_WRITE) failed = true;
    }
  }
  // TLS 1.3: the server's verdict on the client certificate reaches the client with the
  // first read; exchange one byte each way to see it.
  if (!failed) {
    char byte = 'x';
    if (SSL_write(c, &byte, 1) != 1) failed = true;
    if (!failed && SSL_read(s, &byte, 1) != 1) failed = true;
    if (!failed && SSL_write(s, &byte, 1) != 1) failed = true;
    if (!failed && SSL_read(c, &byte, 1) != 1) failed = true;
  }
  Handshake out;
  out.ok = !failed && server_done && client_done;
  if (X509* peer = SSL_get1_peer_certificate(c)) {
    out.peer_cert_pem = CertPem(peer);
    X509_free(peer);
  }
  SSL_free(s);
  SSL_free(c);
  ERR_clear_error();
  return out;
}

}  // namespace kube9::testing
