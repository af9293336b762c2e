#include "http/tls_context.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/test_pki.h"

namespace kube9::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::KeyPair;
using testing::MakeCert;
using testing::RunHandshake;

class TlsContextTest : public ::testing::Test {
 protected:
  TlsContextTest() {
    dir_ = std::filesystem::temp_directory_path() / ("tls_context_test." + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    ca_ = MakeCert("test CA", "", nullptr, true);
    server_ = MakeCert("localhost", "DNS:localhost,IP:127.0.0.1", &ca_, false, 2);
    client_ = MakeCert("prometheus", "DNS:prometheus.monitoring.svc,URI:spiffe://cluster.local/sa/prometheus", &ca_,
                       false, 3);
    stranger_ca_ = MakeCert("stranger CA", "", nullptr, true, 4);
    stranger_ = MakeCert("stranger", "DNS:stranger", &stranger_ca_, false, 5);
    settings_.cert_file = Write("tls.crt", server_.cert_pem);
    settings_.key_file = Write("tls.key", server_.key_pem);
  }
  ~TlsContextTest() override { std::filesystem::remove_all(dir_); }

  // Replaces a file the way the kubelet updates a Secret volume: a new file renamed over it.
  std::string Write(const std::string& name, const std::string& content) {
    const auto tmp = dir_ / (name + ".tmp");
    std::ofstream(tmp) << content;
    std::filesystem::rename(tmp, dir_ / name);
    return (dir_ / name).string();
  }

  std::shared_ptr<SSL_CTX> Build() {
    auto ctx = BuildSslContext(settings_);
    EXPECT_TRUE(ctx.ok()) << ::testing::PrintToString(ctx.error());
    return ctx.ok() ? *ctx : nullptr;
  }

  std::filesystem::path dir_;
  KeyPair ca_, server_, client_, stranger_ca_, stranger_;
  TlsSettings settings_;
};

TEST_F(TlsContextTest, ServesTheCertificate) {
  auto ctx = Build();
  ASSERT_TRUE(ctx);
  auto h = RunHandshake(ctx.get(), &ca_, nullptr);
  EXPECT_TRUE(h.ok);
  EXPECT_EQ(h.peer_cert_pem, server_.cert_pem);
  EXPECT_FALSE(RunHandshake(ctx.get(), &stranger_ca_, nullptr).ok) << "the client verifies the server";
}

TEST_F(TlsContextTest, InlinePemAndChains) {
  const KeyPair intermediate = MakeCert("intermediate", "", &ca_, true, 6);
  const KeyPair leaf = MakeCert("localhost", "DNS:localhost", &intermediate, false, 7);
  TlsSettings inline_settings;
  inline_settings.cert_pem = leaf.cert_pem + intermediate.cert_pem;
  inline_settings.key_pem = leaf.key_pem;
  auto ctx = BuildSslContext(inline_settings);
  ASSERT_TRUE(ctx.ok()) << ::testing::PrintToString(ctx.error());
  EXPECT_TRUE(RunHandshake(ctx->get(), &ca_, nullptr).ok) << "the intermediate is sent along";
}

TEST_F(TlsContextTest, ProtocolVersions) {
  settings_.min_version = kTls13;
  auto ctx = Build();
  EXPECT_TRUE(RunHandshake(ctx.get(), &ca_, nullptr).ok);
  EXPECT_FALSE(RunHandshake(ctx.get(), &ca_, nullptr, kTls12).ok) << "a TLS 1.2 client is refused";
  settings_.min_version = kTls12;
  settings_.max_version = kTls12;
  ctx = Build();
  EXPECT_TRUE(RunHandshake(ctx.get(), &ca_, nullptr, kTls12).ok);
}

TEST_F(TlsContextTest, CipherSuitesAndCurves) {
  settings_.max_version = kTls12;
  settings_.cipher_suites = {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"};
  settings_.curve_preferences = {"CurveP256", "X25519"};
  EXPECT_TRUE(RunHandshake(Build().get(), &ca_, nullptr).ok);
  settings_.cipher_suites = {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"};  // our key is ECDSA
  EXPECT_FALSE(RunHandshake(Build().get(), &ca_, nullptr).ok) << "the listed suites are the only ones offered";
  EXPECT_TRUE(IsKnownCipherSuite("TLS_AES_128_GCM_SHA256"));
  EXPECT_FALSE(IsKnownCipherSuite("ECDHE-RSA-AES128-GCM-SHA256")) << "OpenSSL's own names are not Go's";
  EXPECT_TRUE(IsKnownCurve("CurveP521"));
  EXPECT_FALSE(IsKnownCurve("P-256"));
}

TEST_F(TlsContextTest, RequireAndVerifyClientCert) {
  settings_.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  settings_.client_ca_file = Write("ca.crt", ca_.cert_pem);
  auto ctx = Build();
  EXPECT_FALSE(RunHandshake(ctx.get(), &ca_, nullptr).ok) << "no certificate";
  EXPECT_FALSE(RunHandshake(ctx.get(), &ca_, &stranger_).ok) << "a certificate of another CA";
  EXPECT_TRUE(RunHandshake(ctx.get(), &ca_, &client_).ok);
}

TEST_F(TlsContextTest, VerifyClientCertIfGiven) {
  settings_.client_auth = ClientAuth::kVerifyClientCertIfGiven;
  settings_.client_ca_pem = ca_.cert_pem;
  auto ctx = Build();
  EXPECT_TRUE(RunHandshake(ctx.get(), &ca_, nullptr).ok);
  EXPECT_FALSE(RunHandshake(ctx.get(), &ca_, &stranger_).ok);
  EXPECT_TRUE(RunHandshake(ctx.get(), &ca_, &client_).ok);
}

TEST_F(TlsContextTest, RequireAnyClientCertDoesNotVerify) {
  settings_.client_auth = ClientAuth::kRequireAnyClientCert;
  auto ctx = Build();
  EXPECT_FALSE(RunHandshake(ctx.get(), &ca_, nullptr).ok);
  EXPECT_TRUE(RunHandshake(ctx.get(), &ca_, &stranger_).ok);
  settings_.client_auth = ClientAuth::kRequestClientCert;
  ctx = Build();
  EXPECT_TRUE(RunHandshake(ctx.get(), &ca_, nullptr).ok);
  EXPECT_TRUE(RunHandshake(ctx.get(), &ca_, &stranger_).ok);
}

TEST_F(TlsContextTest, ClientAllowedSans) {
  settings_.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  settings_.client_ca_pem = ca_.cert_pem;
  const KeyPair other_client = MakeCert("grafana", "DNS:grafana.monitoring.svc,IP:10.0.0.7", &ca_, false, 8);
  settings_.client_allowed_sans = {"spiffe://cluster.local/sa/prometheus"};
  auto ctx = Build();
  EXPECT_TRUE(RunHandshake(ctx.get(), &ca_, &client_).ok) << "URI SAN";
  EXPECT_FALSE(RunHandshake(ctx.get(), &ca_, &other_client).ok) << "signed by the CA, but not an allowed SAN";
  settings_.client_allowed_sans = {"10.0.0.7"};
  ctx = Build();
  EXPECT_TRUE(RunHandshake(ctx.get(), &ca_, &other_client).ok) << "IP SAN";
  EXPECT_FALSE(RunHandshake(ctx.get(), &ca_, &client_).ok);

  settings_.client_auth = ClientAuth::kRequireAnyClientCert;  // unverified, SAN still checked
  settings_.client_allowed_sans = {"prometheus.monitoring.svc"};
  ctx = Build();
  EXPECT_TRUE(RunHandshake(ctx.get(), &ca_, &client_).ok) << "DNS SAN";
  EXPECT_FALSE(RunHandshake(ctx.get(), &ca_, &stranger_).ok);
}

TEST_F(TlsContextTest, EveryFileProblem) {
  settings_.cert_file = Write("junk.crt", "not a certificate\n");
  settings_.key_file = (dir_ / "missing.key").string();
  settings_.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  settings_.client_ca_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  auto ctx = BuildSslContext(settings_);
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.error(), ElementsAre(HasSubstr("cert_file " + settings_.cert_file + ": no PEM certificate"),
                                       HasSubstr("key_file " + settings_.key_file + ": cannot read it"),
                                       HasSubstr("tls_server_config.client_ca: no PEM certificate")));
}

class RecordingObserver : public TlsReloadObserver {
 public:
  void OnTlsReload(bool success) override { (success ? successes : failures)++; }
  void OnTlsCertificate(base::WallTime t) override { not_after = t; }
  int successes = 0, failures = 0;
  base::WallTime not_after{};
};

TEST_F(TlsContextTest, ReloadsChangedFilesAtMostOnceASecond) {
  base::FakeClock clock;
  RecordingObserver observer;
  auto tls = TlsServerContext::Create(settings_, clock, &observer);
  ASSERT_TRUE(tls.ok());
  auto first = (*tls)->Current();
  EXPECT_EQ(RunHandshake(first.get(), &ca_, nullptr).peer_cert_pem, server_.cert_pem);
  const auto valid_for = observer.not_after - std::chrono::system_clock::now();
  EXPECT_GT(valid_for, std::chrono::hours(23)) << "MakeCert certificates are valid for a day";
  EXPECT_LT(valid_for, std::chrono::hours(25));

  clock.Advance(std::chrono::seconds(5));
  EXPECT_EQ((*tls)->Current(), first) << "unchanged files: the same context";
  EXPECT_EQ(observer.successes, 0);

  // cert-manager renews: new key and certificate.
  const KeyPair renewed = MakeCert("localhost", "DNS:localhost", &ca_, false, 9, /*valid_hours=*/48);
  Write("tls.crt", renewed.cert_pem);
  Write("tls.key", renewed.key_pem);
  clock.Advance(std::chrono::seconds(1));
  auto second = (*tls)->Current();
  EXPECT_NE(second, first);
  EXPECT_EQ(RunHandshake(second.get(), &ca_, nullptr).peer_cert_pem, renewed.cert_pem);
  EXPECT_EQ(observer.successes, 1);
  EXPECT_GT(observer.not_after - std::chrono::system_clock::now(), std::chrono::hours(47))
      << "the renewed certificate's expiry is reported";
  EXPECT_EQ(RunHandshake(first.get(), &ca_, nullptr).peer_cert_pem, server_.cert_pem)
      << "a connection holding the old context keeps it";

  const KeyPair again = MakeCert("localhost", "DNS:localhost", &ca_, false, 10);
  Write("tls.crt", again.cert_pem);
  Write("tls.key", again.key_pem);
  clock.Advance(std::chrono::milliseconds(500));
  EXPECT_EQ((*tls)->Current(), second) << "within a second of the last look, files are not looked at";
  clock.Advance(std::chrono::milliseconds(500));
  EXPECT_EQ(RunHandshake((*tls)->Current().get(), &ca_, nullptr).peer_cert_pem, again.cert_pem);
  EXPECT_EQ(observer.successes, 2);
}

TEST_F(TlsContextTest, AFailedReloadKeepsServingThePreviousCertificate) {
  base::FakeClock clock;
  RecordingObserver observer;
  auto tls = TlsServerContext::Create(settings_, clock, &observer);
  ASSERT_TRUE(tls.ok());
  auto first = (*tls)->Current();

  // Half a rotation: a new certificate whose key has not arrived yet.
  const KeyPair renewed = MakeCert("localhost", "DNS:localhost", &ca_, false, 11);
  Write("tls.crt", renewed.cert_pem);
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ((*tls)->Current(), first);
  EXPECT_EQ(observer.failures, 1);
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ((*tls)->Current(), first);
  EXPECT_EQ(observer.failures, 1) << "the same broken files are not retried every second";

  Write("tls.key", renewed.key_pem);  // the rest of the rotation
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(RunHandshake((*tls)->Current().get(), &ca_, nullptr).peer_cert_pem, renewed.cert_pem);
  EXPECT_EQ(observer.successes, 1);

  std::filesystem::remove(dir_ / "tls.key");  // the Secret deleted
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(RunHandshake((*tls)->Current().get(), &ca_, nullptr).peer_cert_pem, renewed.cert_pem);
  EXPECT_EQ(observer.failures, 2);
}

TEST_F(TlsContextTest, CreateFailsWithEveryProblem) {
  settings_.key_file = (dir_ / "absent.key").string();
  base::FakeClock clock;
  auto tls = TlsServerContext::Create(settings_, clock);
  ASSERT_FALSE(tls.ok());
  EXPECT_THAT(tls.error(), ElementsAre(HasSubstr("absent.key: cannot read it: No such file or directory")));
}

}  // namespace
}  // namespace kube9::http
