// Who may do what, proven through the real server and real sockets: tokens (hashed at rest,
// compared without early exit, reloaded, expiring on the injected clock), roles checked by the
// server for every message, hostile frames and floods closing only their sender, TLS (wss:// and
// https://) with a certificate made for the test, and fleetdeckd refusing a bad TLS configuration.

#include "authenticator.h"
#include "clock.h"
#include "codec.h"
#include "commandgate.h"
#include "fleetclient.h"
#include "fleetserver.h"
#include "leasemanager.h"
#include "movingrobot.h"
#include "telemetrymailbox.h"
#include "teleoprouter.h"
#include "websockettransport.h"

#include <QDateTime>
#include <QFile>
#include <QLoggingCategory>
#include <QMutex>
#include <QProcess>
#include <QScopeGuard>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslConfiguration>
#include <QSignalSpy>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>
#include <QWebSocket>

#include <limits>
#include <memory>

using namespace fleetdeck;

namespace {

const QByteArray kAliceToken = "fdt_alice-operator-0123456789abcdef0123456789abcdef";
const QByteArray kBobToken = "fdt_bob-operator-0123456789abcdef0123456789abcdef01";
const QByteArray kWallToken = "fdt_wall-viewer-0123456789abcdef0123456789abcdef012";
const QByteArray kAdaToken = "fdt_ada-admin-0123456789abcdef0123456789abcdef012345";
const QByteArray kOldToken = "fdt_old-operator-0123456789abcdef0123456789abcdef01";

// Log lines of the whole run, to prove that no token is ever written to them.
QMutex g_logMutex;
QStringList g_log;
QtMessageHandler g_previousHandler = nullptr;
QLoggingCategory::CategoryFilter g_previousFilter = nullptr;

// Every level of every fleetdeck category, whatever QT_LOGGING_RULES says.
void enableFleetdeckLogs(QLoggingCategory *category)
{
    g_previousFilter(category);
    if (qstrncmp(category->categoryName(), "fleetdeck.", 10) == 0) {
        category->setEnabled(QtDebugMsg, true);
        category->setEnabled(QtInfoMsg, true);
        category->setEnabled(QtWarningMsg, true);
    }
}

void captureLog(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    {
        QMutexLocker lock(&g_logMutex);
        g_log.append(message);
    }
    g_previousHandler(type, context, message);
}


// The backend as fleetdeckd wires it, minus Kafka: the teleop router's commands go to a list.
struct Backend {
    QTemporaryDir dir;
    ManualClock clock;
    TelemetryMailbox mailbox;
    Authenticator authenticator{&clock};
    std::unique_ptr<FleetServer> server;
    teleop::LeaseManager leases{clock};
    teleop::CommandGate gate{leases, clock};
    std::unique_ptr<TeleopRouter> router;
    std::vector<fleet::v1::Command> commands;
    quint64 sequence = 0;

    explicit Backend(const QString &tokenLines, FleetServer::Settings settings = {})
    {
        writeTokens(tokenLines);
        QStringList errors;
        if (!authenticator.setSources(tokensFile(), QString(), &errors))
            qFatal("%s", qPrintable(errors.join(QLatin1Char('\n'))));
        server = std::make_unique<FleetServer>(settings, &mailbox, &clock);
        server->setAuthenticator(&authenticator);
        router = std::make_unique<TeleopRouter>(
            &leases, &gate, &clock,
            TeleopRouter::Outbox{[this](quint64 id, const fleet::v1::ServerMessage &m) { server->sendToConsole(id, m); },
                                 [this](const fleet::v1::ServerMessage &m) { server->broadcastToConsoles(m); }},
            [this](const fleet::v1::Command &command) {
                commands.push_back(command);
                return true;
            },
            [](const QByteArray &) {});
        server->setTeleopRouter(router.get());
        server->setAcknowledgeHandler([](const QString &, std::uint64_t, QString *) { return true; });
        publish();
    }
    ~Backend() { server->setTeleopRouter(nullptr); }

    bool listen(const std::optional<QSslConfiguration> &tls = std::nullopt)
    {
        if (tls)
            server->setTlsConfiguration(*tls);
        QString error;
        if (!server->listen(QHostAddress::LocalHost, 0, &error)) {
            qWarning("%s", qPrintable(error));
            return false;
        }
        return true;
    }
    [[nodiscard]] QString tokensFile() const { return dir.filePath(QStringLiteral("tokens")); }
    void writeTokens(const QString &lines) const
    {
        QFile file(tokensFile());
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write the tokens file");
        file.write(lines.toUtf8());
    }
    [[nodiscard]] QUrl url(const QString &query = {}) const
    {
        QUrl u(QStringLiteral("%1://127.0.0.1:%2/").arg(server->isTls() ? QStringLiteral("wss") : QStringLiteral("ws")).arg(server->port()));
        if (!query.isEmpty())
            u.setQuery(query);
        return u;
    }
    // One tick with every robot moved: every live console gets a delta.
    void publish()
    {
        ++sequence;
        std::vector<RobotState> batch;
        for (int i = 0; i < 5; ++i)
            batch.push_back(testing::movingRobot(i, sequence));
        mailbox.put(std::move(batch));
        server->tick();
    }
};

QString line(const char *name, const char *role, const QByteArray &token, const char *expires = nullptr)
{
    QString l = QString::fromLatin1(name) + QLatin1Char(' ') + QLatin1String(role) + QLatin1Char(' ')
        + QString::fromLatin1(auth::sha256(token).toHex());
    if (expires)
        l += QLatin1Char(' ') + QLatin1String(expires);
    return l + QLatin1Char('\n');
}

QString standardTokens()
{
    return QStringLiteral("# test tokens\n") + line("alice", "operator", kAliceToken) + line("bob", "operator", kBobToken)
        + line("wall-1", "viewer", kWallToken) + line("ada", "admin", kAdaToken)
        // ManualClock starts at 2023-11-14T22:13:20Z.
        + line("old", "operator", kOldToken, "2023-01-01");
}

// A console speaking the protocol by hand: what it sends and everything it receives.
class Peer : public QObject
{
public:
    explicit Peer(const QUrl &url, const std::optional<QSslConfiguration> &ssl = std::nullopt)
    {
        if (ssl)
            m_socket.setSslConfiguration(*ssl);
        connect(&m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &bytes) {
            fleet::v1::ServerMessage message;
            if (codec::parse(bytes, &message))
                received.push_back(message);
        });
        // stateChanged rather than disconnected: a failed TLS handshake never connected.
        connect(&m_socket, &QWebSocket::stateChanged, this, [this](QAbstractSocket::SocketState state) {
            if (state != QAbstractSocket::UnconnectedState)
                return;
            closed = true;
            closeReason = m_socket.closeReason();
        });
        m_socket.open(url);
    }
    [[nodiscard]] bool waitConnected()
    {
        return QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, 5000);
    }
    void heartbeat()
    {
        fleet::v1::ClientMessage m;
        m.mutable_heartbeat()->set_sent_unix_ms(1);
        send(m);
    }
    void send(const fleet::v1::ClientMessage &message) { m_socket.sendBinaryMessage(codec::serialize(message)); }
    void sendRaw(const QByteArray &bytes) { m_socket.sendBinaryMessage(bytes); }
    void sendText(const QString &text) { m_socket.sendTextMessage(text); }
    void hello(const QByteArray &token, const QString &operatorName = {}, bool readOnly = false)
    {
        fleet::v1::ClientMessage m;
        auto *h = m.mutable_hello();
        h->set_protocol_version(fleet::v1::PROTOCOL_VERSION_1);
        h->set_client_name("tst_auth");
        h->set_token(token.toStdString());
        h->set_operator_name(operatorName.toStdString());
        h->set_read_only(readOnly);
        send(m);
    }
    [[nodiscard]] int count(fleet::v1::ServerMessage::KindCase kind) const
    {
        return int(std::count_if(received.begin(), received.end(), [kind](const auto &m) { return m.kind_case() == kind; }));
    }
    [[nodiscard]] const fleet::v1::ServerMessage *last(fleet::v1::ServerMessage::KindCase kind) const
    {
        for (auto it = received.rbegin(); it != received.rend(); ++it) {
            if (it->kind_case() == kind)
                return &*it;
        }
        return nullptr;
    }

    std::vector<fleet::v1::ServerMessage> received;
    bool closed = false;
    QString closeReason;

private:
    QWebSocket m_socket;
};

fleet::v1::ClientMessage acquire(const char *robotId)
{
    fleet::v1::ClientMessage m;
    m.mutable_acquire_lease()->set_robot_id(robotId);
    return m;
}

fleet::v1::ClientMessage drive(const char *robotId, const std::string &leaseId, std::uint64_t sequence, std::int64_t sentMs,
                               float linear = 0.5f, float angular = 0)
{
    fleet::v1::ClientMessage m;
    auto *t = m.mutable_teleop();
    t->set_kind(fleet::v1::TeleopCommand::KIND_DRIVE);
    t->set_robot_id(robotId);
    t->set_lease_id(leaseId);
    t->set_sequence(sequence);
    t->set_sent_unix_ms(sentMs);
    t->set_linear_mps(linear);
    t->set_angular_dps(angular);
    return m;
}

// A self-signed certificate for 127.0.0.1 made with the openssl CLI; empty paths when it is missing.
struct TestCertificate {
    QString certificate;
    QString key;
    QString otherKey;  // a key that does not belong to the certificate
};

std::optional<TestCertificate> makeCertificate(const QTemporaryDir &dir)
{
    TestCertificate made{dir.filePath(QStringLiteral("cert.pem")), dir.filePath(QStringLiteral("key.pem")),
                         dir.filePath(QStringLiteral("other.pem"))};
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
                   QStringLiteral("-nodes"), QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
                   QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"), QStringLiteral("subjectAltName=IP:127.0.0.1"),
                   QStringLiteral("-keyout"), made.key, QStringLiteral("-out"), made.certificate});
    if (!openssl.waitForFinished(60'000) || openssl.exitCode() != 0)
        return std::nullopt;
    openssl.start(QStringLiteral("openssl"), {QStringLiteral("genrsa"), QStringLiteral("-out"), made.otherKey, QStringLiteral("2048")});
    if (!openssl.waitForFinished(60'000) || openssl.exitCode() != 0)
        return std::nullopt;
    return made;
}

QSslConfiguration serverTls(const TestCertificate &made)
{
    QFile cert(made.certificate), key(made.key);
    (void)cert.open(QIODevice::ReadOnly);
    (void)key.open(QIODevice::ReadOnly);
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(QSslCertificate::fromData(cert.readAll()));
    configuration.setPrivateKey(QSslKey(key.readAll(), QSsl::Rsa));
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    return configuration;
}

// A client that trusts only the test's certificate.
QSslConfiguration clientTrusting(const TestCertificate &made)
{
    QFile cert(made.certificate);
    (void)cert.open(QIODevice::ReadOnly);
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setCaCertificates(QSslCertificate::fromData(cert.readAll()));
    return configuration;
}

}  // namespace

class TestAuth : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Everything, debug included, goes through the capture: a token must not appear anywhere.
        g_previousFilter = QLoggingCategory::installFilter(enableFleetdeckLogs);
        g_previousHandler = qInstallMessageHandler(captureLog);
    }

    void constantTimeEqualComparesEveryByte()
    {
        const QByteArray a = auth::sha256("one");
        QVERIFY(auth::constantTimeEqual(a, a));
        QVERIFY(!auth::constantTimeEqual(a, auth::sha256("two")));
        QByteArray lastDiffers = a;
        lastDiffers[31] = char(lastDiffers[31] ^ 1);
        QVERIFY(!auth::constantTimeEqual(a, lastDiffers));
        QByteArray firstDiffers = a;
        firstDiffers[0] = char(firstDiffers[0] ^ 0x80);
        QVERIFY(!auth::constantTimeEqual(a, firstDiffers));
        QVERIFY(!auth::constantTimeEqual(a, a.left(31)));
        QCOMPARE(auth::sha256("abc").toHex(), QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        const QByteArray token = auth::generateToken();
        QVERIFY(token.startsWith("fdt_"));
        QCOMPARE(token.size(), 4 + 43);
        QVERIFY(token != auth::generateToken());
    }

    void tokenLines_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("tokens");
        QTest::addColumn<QString>("error");
        const QString hash = QString::fromLatin1(auth::sha256("x").toHex());
        QTest::newRow("good") << QStringLiteral("alice operator %1\n# comment\n\nwall viewer %1 2030-01-01").arg(hash) << 2 << QString();
        QTest::newRow("env, ';' separated") << QStringLiteral("a admin %1; b viewer %1 2030-01-01T08:00:00Z").arg(hash) << 2 << QString();
        QTest::newRow("unknown role") << QStringLiteral("alice root %1").arg(hash) << 0 << QStringLiteral("not viewer, operator or admin");
        QTest::newRow("token not hash") << QStringLiteral("alice operator fdt_secret") << 0 << QStringLiteral("SHA-256");
        QTest::newRow("bad expiry") << QStringLiteral("alice operator %1 soon").arg(hash) << 0 << QStringLiteral("ISO 8601");
        QTest::newRow("bad name") << QStringLiteral("al\u00efce operator %1").arg(hash) << 0 << QStringLiteral("name");
        QTest::newRow("fields") << QStringLiteral("alice operator") << 0 << QStringLiteral("NAME ROLE SHA256HEX");
        QTest::newRow("one bad line, one good") << QStringLiteral("alice operator x\nbob operator %1").arg(hash) << 1 << QStringLiteral("tokens:1");
    }

    void tokenLines()
    {
        QFETCH(QString, text);
        QFETCH(int, tokens);
        QFETCH(QString, error);
        QStringList errors;
        const std::vector<AccessToken> parsed = auth::parseTokens(text, QStringLiteral("tokens"), &errors);
        QCOMPARE(int(parsed.size()), tokens);
        if (error.isEmpty())
            QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
        else
            QVERIFY2(!errors.isEmpty() && errors.first().contains(error), qPrintable(errors.join(QLatin1Char('\n'))));
        QVERIFY(!errors.join(QLatin1Char(' ')).contains(QLatin1String("fdt_secret")));  // a pasted token is not echoed
    }

    void expiryParsesAsUtc()
    {
        QStringList errors;
        const auto parsed = auth::parseTokens(QStringLiteral("a viewer %1 2030-01-01T08:00:00").arg(QString::fromLatin1(auth::sha256("x").toHex())),
                                              QStringLiteral("t"), &errors);
        QCOMPARE(int(parsed.size()), 1);
        QCOMPARE(parsed[0].expiresUnixMs, QDateTime(QDate(2030, 1, 1), QTime(8, 0), QTimeZone::utc()).toMSecsSinceEpoch());
    }

    void viewerIsRefusedByTheServerOperatorIsNot()
    {
        Backend backend(standardTokens());
        QVERIFY(backend.listen());

        Peer wall(backend.url());
        QVERIFY(wall.waitConnected());
        wall.hello(kWallToken, QStringLiteral("ada"));  // claims to be the admin: the token says otherwise
        QTRY_COMPARE(wall.count(fleet::v1::ServerMessage::kSnapshot), 1);
        QCOMPARE(wall.last(fleet::v1::ServerMessage::kWelcome)->welcome().role(), fleet::v1::ROLE_VIEWER);

        wall.send(acquire("nb-0001"));
        QTRY_VERIFY(wall.last(fleet::v1::ServerMessage::kLeaseResult));
        QVERIFY(!wall.last(fleet::v1::ServerMessage::kLeaseResult)->lease_result().granted());
        QVERIFY(QString::fromStdString(wall.last(fleet::v1::ServerMessage::kLeaseResult)->lease_result().reason()).contains(QLatin1String("viewer")));

        wall.send(drive("nb-0001", "made-up", 1, backend.clock.nowUnixMs()));
        QTRY_VERIFY(wall.last(fleet::v1::ServerMessage::kTeleopResult));
        QVERIFY(!wall.last(fleet::v1::ServerMessage::kTeleopResult)->teleop_result().reason().empty());

        fleet::v1::ClientMessage ack;
        ack.mutable_acknowledge_alert()->set_alert_id(7);
        wall.send(ack);
        QTRY_VERIFY(wall.last(fleet::v1::ServerMessage::kAcknowledgeResult));
        QVERIFY(!wall.last(fleet::v1::ServerMessage::kAcknowledgeResult)->acknowledge_result().ok());
        QVERIFY(backend.commands.empty());

        // An operator token drives, under the token's name whatever the console claims.
        Peer alice(backend.url());
        QVERIFY(alice.waitConnected());
        alice.hello(kAliceToken, QStringLiteral("mallory"));
        QTRY_COMPARE(alice.count(fleet::v1::ServerMessage::kSnapshot), 1);
        QCOMPARE(alice.last(fleet::v1::ServerMessage::kWelcome)->welcome().role(), fleet::v1::ROLE_OPERATOR);
        alice.send(acquire("nb-0001"));
        QTRY_VERIFY(alice.last(fleet::v1::ServerMessage::kLeaseResult));
        const auto &granted = alice.last(fleet::v1::ServerMessage::kLeaseResult)->lease_result();
        QVERIFY2(granted.granted(), granted.reason().c_str());
        QCOMPARE(QString::fromStdString(granted.lease().operator_name()), QStringLiteral("alice"));
        alice.send(drive("nb-0001", granted.lease().lease_id(), 1, backend.clock.nowUnixMs()));
        QTRY_COMPARE(backend.commands.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(backend.commands[0].operator_id()), QStringLiteral("alice"));
        alice.send(ack);
        QTRY_VERIFY(alice.last(fleet::v1::ServerMessage::kAcknowledgeResult));
        QVERIFY(alice.last(fleet::v1::ServerMessage::kAcknowledgeResult)->acknowledge_result().ok());

        // A wall console with an operator's token stays read-only.
        Peer readOnly(backend.url());
        QVERIFY(readOnly.waitConnected());
        readOnly.hello(kBobToken, {}, true);
        QTRY_VERIFY(readOnly.last(fleet::v1::ServerMessage::kWelcome));
        QCOMPARE(readOnly.last(fleet::v1::ServerMessage::kWelcome)->welcome().role(), fleet::v1::ROLE_VIEWER);

        // The admin token may take over, by its role rather than a name list.
        Peer ada(backend.url());
        QVERIFY(ada.waitConnected());
        ada.hello(kAdaToken);
        QTRY_VERIFY(ada.last(fleet::v1::ServerMessage::kWelcome));
        QCOMPARE(ada.last(fleet::v1::ServerMessage::kWelcome)->welcome().role(), fleet::v1::ROLE_ADMIN);
    }

    void unauthenticatedConsolesSeeNothing_data()
    {
        QTest::addColumn<QByteArray>("token");
        QTest::addColumn<QString>("reason");
        QTest::newRow("no token") << QByteArray() << QStringLiteral("unauthenticated: no token");
        QTest::newRow("unknown token") << QByteArray("fdt_guessed") << QStringLiteral("unauthenticated: unknown or revoked token");
        QTest::newRow("expired token") << kOldToken << QStringLiteral("unauthenticated: token expired");
        QTest::newRow("huge token") << QByteArray(600, 'x') << QStringLiteral("invalid Hello: token longer than 512 bytes");
    }

    void unauthenticatedConsolesSeeNothing()
    {
        QFETCH(QByteArray, token);
        QFETCH(QString, reason);
        Backend backend(standardTokens());
        QVERIFY(backend.listen());
        Peer stranger(backend.url());
        QVERIFY(stranger.waitConnected());
        stranger.hello(token, QStringLiteral("alice"));
        QTRY_VERIFY(stranger.closed);
        backend.publish();
        QCoreApplication::processEvents();
        QCOMPARE(stranger.closeReason, reason);
        // One Goodbye, and nothing about the fleet: no Welcome, Status, Snapshot, lease table or delta.
        QCOMPARE(int(stranger.received.size()), 1);
        QCOMPARE(stranger.received[0].kind_case(), fleet::v1::ServerMessage::kGoodbye);
        QCOMPARE(QString::fromStdString(stranger.received[0].goodbye().reason()), reason);
    }

    void tokenInTheUrlForBrowsers()
    {
        Backend backend(standardTokens());
        QVERIFY(backend.listen());
        SystemClock consoleClock;
        WebSocketTransport transport;
        FleetClient browser(&transport, &consoleClock);
        // As a browser does: a token in the URL, none in Hello.
        browser.setUrl(backend.url(QStringLiteral("token=") + QString::fromLatin1(kWallToken)));
        QTRY_COMPARE(browser.state(), FleetClient::ConnectionState::Live);
        QCOMPARE(browser.role(), int(fleet::v1::ROLE_VIEWER));
        QVERIFY(!browser.stateText().contains(QString::fromLatin1(kWallToken)));
    }

    void expiryWhileConnectedClosesTheSession()
    {
        // ManualClock starts at 2023-11-14T22:13:20Z; this token ends a minute later.
        const QByteArray token = "fdt_short-lived-0123456789abcdef0123456789abcdef0123";
        Backend backend(standardTokens() + line("temp", "operator", token, "2023-11-14T22:14:20Z"));
        QVERIFY(backend.listen());
        Peer temp(backend.url());
        Peer bob(backend.url());
        QVERIFY(temp.waitConnected() && bob.waitConnected());
        temp.hello(token);
        bob.hello(kBobToken);
        QTRY_VERIFY(temp.count(fleet::v1::ServerMessage::kSnapshot) == 1 && bob.count(fleet::v1::ServerMessage::kSnapshot) == 1);
        for (int i = 0; i < 7 && !temp.closed; ++i) {
            temp.heartbeat();  // both stay within the server's peer timeout
            bob.heartbeat();
            QTest::qWait(20);
            backend.clock.advance(9000);
            backend.publish();
            QCoreApplication::processEvents();
        }
        QTRY_VERIFY(temp.closed);
        QCOMPARE(temp.closeReason, QStringLiteral("token expired"));
        QVERIFY(!bob.closed);
        QCOMPARE(backend.server->stats().clientsClosedForToken, quint64(1));
    }

    void revokedByReloadClosesOnlyThatSession()
    {
        Backend backend(standardTokens());
        QVERIFY(backend.listen());
        Peer alice(backend.url());
        Peer bob(backend.url());
        QVERIFY(alice.waitConnected() && bob.waitConnected());
        alice.hello(kAliceToken);
        bob.hello(kBobToken);
        QTRY_VERIFY(alice.count(fleet::v1::ServerMessage::kSnapshot) == 1 && bob.count(fleet::v1::ServerMessage::kSnapshot) == 1);
        alice.send(acquire("nb-0002"));
        QTRY_VERIFY(alice.last(fleet::v1::ServerMessage::kLeaseResult));
        QVERIFY(alice.last(fleet::v1::ServerMessage::kLeaseResult)->lease_result().granted());

        // Alice's line removed, as an operator would, then the reload SIGHUP or the file watcher does.
        backend.writeTokens(QString(standardTokens()).remove(line("alice", "operator", kAliceToken)));
        QStringList errors;
        QVERIFY(backend.authenticator.reload(&errors));
        QTRY_VERIFY(alice.closed);
        QCOMPARE(alice.closeReason, QStringLiteral("token revoked"));
        // Her lease ended with her session, and the robot was told to stop.
        QTRY_VERIFY(!backend.commands.empty());
        QVERIFY(backend.commands.back().has_stop());

        const int deltas = bob.count(fleet::v1::ServerMessage::kDelta);
        backend.publish();
        QTRY_COMPARE(bob.count(fleet::v1::ServerMessage::kDelta), deltas + 1);
        QVERIFY(!bob.closed);

        // And she cannot come back with it.
        Peer again(backend.url());
        QVERIFY(again.waitConnected());
        again.hello(kAliceToken);
        QTRY_VERIFY(again.closed);
        QCOMPARE(again.closeReason, QStringLiteral("unauthenticated: unknown or revoked token"));
    }

    void fileWatcherReloads()
    {
        Backend backend(standardTokens());
        backend.authenticator.watch();
        QSignalSpy reloaded(&backend.authenticator, &Authenticator::reloaded);
        backend.writeTokens(line("bob", "operator", kBobToken));
        QTRY_VERIFY(reloaded.count() >= 1);
        QCOMPARE(backend.authenticator.authenticate(kAliceToken).verdict, Authenticator::Verdict::Unknown);
        QCOMPARE(backend.authenticator.authenticate(kBobToken).verdict, Authenticator::Verdict::Valid);
    }

    void hostileFramesCloseOnlyTheirSender_data()
    {
        QTest::addColumn<QByteArray>("frame");
        QTest::addColumn<QString>("reason");
        const auto bytes = [](const fleet::v1::ClientMessage &m) { return codec::serialize(m); };
        QTest::newRow("not protobuf") << QByteArray("\xff\xff\xff\xff garbage", 12) << QStringLiteral("malformed frame");
        QTest::newRow("empty message") << QByteArray() << QStringLiteral("malformed frame");
        QTest::newRow("NaN speed") << bytes(drive("nb-0001", "x", 1, 0, std::numeric_limits<float>::quiet_NaN())) << QStringLiteral("finite");
        QTest::newRow("infinite turn") << bytes(drive("nb-0001", "x", 1, 0, 0, std::numeric_limits<float>::infinity())) << QStringLiteral("finite");
        QTest::newRow("absurd speed") << bytes(drive("nb-0001", "x", 1, 0, 500.0f)) << QStringLiteral("out of range");
        fleet::v1::ClientMessage unknownKind = drive("nb-0001", "x", 1, 0);
        unknownKind.mutable_teleop()->set_kind(static_cast<fleet::v1::TeleopCommand::Kind>(42));
        QTest::newRow("unknown command kind") << bytes(unknownKind) << QStringLiteral("unknown kind 42");
        fleet::v1::ClientMessage hugeId = acquire("x");
        hugeId.mutable_acquire_lease()->set_robot_id(std::string(10'000, 'r'));
        QTest::newRow("huge robot id") << bytes(hugeId) << QStringLiteral("robot_id longer than 128 bytes");
        fleet::v1::ClientMessage badUtf8 = acquire("x");
        badUtf8.mutable_acquire_lease()->set_reason(std::string("\xc3\x28", 2));
        // protobuf's parser refuses it first; FleetServer::invalidField() checks again all the same.
        QTest::newRow("reason not UTF-8") << bytes(badUtf8) << QStringLiteral("malformed frame");
        fleet::v1::ClientMessage hello;
        hello.mutable_hello()->set_protocol_version(fleet::v1::PROTOCOL_VERSION_1);
        QTest::newRow("Hello twice") << bytes(hello) << QStringLiteral("Hello sent twice");
        fleet::v1::ClientMessage view;
        view.mutable_subscribe()->set_south_deg(std::numeric_limits<double>::infinity());
        QTest::newRow("infinite viewport") << bytes(view) << QStringLiteral("invalid Subscribe");
        QTest::newRow("oversized frame") << QByteArray(100 * 1024, 'x') << QString();
    }

    void hostileFramesCloseOnlyTheirSender()
    {
        QFETCH(QByteArray, frame);
        QFETCH(QString, reason);
        Backend backend(standardTokens());
        QVERIFY(backend.listen());
        Peer hostile(backend.url());
        Peer bob(backend.url());
        QVERIFY(hostile.waitConnected() && bob.waitConnected());
        hostile.hello(kAliceToken);
        bob.hello(kBobToken);
        QTRY_VERIFY(hostile.count(fleet::v1::ServerMessage::kSnapshot) == 1 && bob.count(fleet::v1::ServerMessage::kSnapshot) == 1);

        hostile.sendRaw(frame);
        QTRY_VERIFY(hostile.closed);
        if (!reason.isEmpty())
            QVERIFY2(hostile.closeReason.contains(reason), qPrintable(hostile.closeReason));

        const int deltas = bob.count(fleet::v1::ServerMessage::kDelta);
        for (int i = 0; i < 3; ++i)
            backend.publish();
        QTRY_COMPARE(bob.count(fleet::v1::ServerMessage::kDelta), deltas + 3);
        QVERIFY(!bob.closed);
        QCOMPARE(backend.server->sessionCount(), 1);
    }

    // The checks themselves, on messages no parser has seen (protobuf's refuses some on its own).
    void invalidFieldNamesTheField_data()
    {
        QTest::addColumn<QByteArray>("operatorName");
        QTest::addColumn<QByteArray>("robotId");
        QTest::addColumn<QString>("why");
        QTest::newRow("fine") << QByteArray("alice") << QByteArray("nb-0001") << QString();
        QTest::newRow("newline in the name") << QByteArray("alice\nfleetdeck.ws: forged") << QByteArray("nb-0001")
                                             << QStringLiteral("invalid Hello: operator_name has control characters");
        QTest::newRow("name not UTF-8") << QByteArray("\xc3\x28") << QByteArray("nb-0001")
                                        << QStringLiteral("invalid Hello: operator_name is not UTF-8");
        QTest::newRow("name too long") << QByteArray(300, 'a') << QByteArray("nb-0001")
                                       << QStringLiteral("invalid Hello: operator_name longer than 256 bytes");
        QTest::newRow("robot id not UTF-8") << QByteArray("alice") << QByteArray("nb-\xff")
                                            << QStringLiteral("invalid AcquireLease: robot_id is not UTF-8");
    }

    void invalidFieldNamesTheField()
    {
        QFETCH(QByteArray, operatorName);
        QFETCH(QByteArray, robotId);
        QFETCH(QString, why);
        fleet::v1::ClientMessage hello;
        hello.mutable_hello()->set_operator_name(operatorName.toStdString());
        fleet::v1::ClientMessage lease;
        lease.mutable_acquire_lease()->set_robot_id(robotId.toStdString());
        const QString found = FleetServer::invalidField(hello).isEmpty() ? FleetServer::invalidField(lease) : FleetServer::invalidField(hello);
        QCOMPARE(found, why);
    }

    void textFrameClosesItsSender()
    {
        Backend backend(standardTokens());
        QVERIFY(backend.listen());
        Peer hostile(backend.url());
        QVERIFY(hostile.waitConnected());
        hostile.sendText(QStringLiteral("{\"hello\": {}}"));
        QTRY_VERIFY(hostile.closed);
        QVERIFY(hostile.closeReason.contains(QLatin1String("text frames")));
        QCOMPARE(hostile.count(fleet::v1::ServerMessage::kSnapshot), 0);
    }

    void floodClosesOnlyTheFlooder()
    {
        Backend backend(standardTokens());
        QVERIFY(backend.listen());
        Peer flooder(backend.url());
        Peer bob(backend.url());
        QVERIFY(flooder.waitConnected() && bob.waitConnected());
        flooder.hello(kAliceToken);
        bob.hello(kBobToken);
        QTRY_VERIFY(flooder.count(fleet::v1::ServerMessage::kSnapshot) == 1 && bob.count(fleet::v1::ServerMessage::kSnapshot) == 1);

        // The server's clock stands still: the burst (400) is all it gets.
        fleet::v1::ClientMessage heartbeat;
        heartbeat.mutable_heartbeat()->set_sent_unix_ms(1);
        for (int i = 0; i < 1000; ++i)
            flooder.send(heartbeat);
        QTRY_VERIFY(flooder.closed);
        QVERIFY2(flooder.closeReason.startsWith(QLatin1String("too many messages")), qPrintable(flooder.closeReason));
        QCOMPARE(backend.server->stats().clientsClosedForRate, quint64(1));

        const int deltas = bob.count(fleet::v1::ServerMessage::kDelta);
        backend.publish();
        QTRY_COMPARE(bob.count(fleet::v1::ServerMessage::kDelta), deltas + 1);
        QVERIFY(!bob.closed);
    }

    void steadyMessagesWithinTheRateAreFine()
    {
        Backend backend(standardTokens());
        QVERIFY(backend.listen());
        Peer bob(backend.url());
        QVERIFY(bob.waitConnected());
        bob.hello(kBobToken);
        QTRY_COMPARE(bob.count(fleet::v1::ServerMessage::kSnapshot), 1);
        fleet::v1::ClientMessage heartbeat;
        heartbeat.mutable_heartbeat()->set_sent_unix_ms(1);
        // 150 a second for 10 s of the server's time: under the rate, never closed.
        for (int second = 0; second < 10; ++second) {
            for (int i = 0; i < 150; ++i)
                bob.send(heartbeat);
            QTest::qWait(50);
            backend.clock.advance(1000);
            backend.publish();
        }
        QTest::qWait(200);
        QVERIFY2(!bob.closed, qPrintable(bob.closeReason));
        QCOMPARE(backend.server->stats().clientsClosedForRate, quint64(0));
    }

    void tlsServesWssAndHttps()
    {
        QTemporaryDir dir;
        const std::optional<TestCertificate> made = makeCertificate(dir);
        if (!made)
            QSKIP("the openssl command is not available");
        Backend backend(standardTokens());
        backend.server->addHttpRoute("/healthz", [](const HttpRequest &) { return HttpResponse{200, "text/plain; charset=utf-8", "ok\n", {}}; });
        QVERIFY(backend.listen(serverTls(*made)));
        QCOMPARE(backend.url().scheme(), QStringLiteral("wss"));

        // A console that trusts the certificate (--ca-certificate) goes live over wss://.
        SystemClock consoleClock;
        WebSocketTransport transport;
        transport.setSslConfiguration(clientTrusting(*made));
        FleetClient console(&transport, &consoleClock);
        console.setToken(QString::fromLatin1(kBobToken));
        console.setUrl(backend.url());
        QTRY_COMPARE(console.state(), FleetClient::ConnectionState::Live);
        QCOMPARE(console.role(), int(fleet::v1::ROLE_OPERATOR));

        // One that does not trust it is turned away by its own TLS, before any token is sent.
        Peer untrusting(backend.url());
        QTRY_VERIFY(untrusting.closed);
        QVERIFY(untrusting.received.empty());

        // https://…/healthz on the same port.
        QSslSocket https;
        https.setSslConfiguration(clientTrusting(*made));
        https.connectToHostEncrypted(QStringLiteral("127.0.0.1"), backend.server->port());
        QTRY_VERIFY(https.isEncrypted());
        https.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QByteArray response;
        QTRY_VERIFY((response += https.readAll()).contains("\r\n\r\nok\n"));
        QVERIFY2(response.startsWith("HTTP/1.1 200"), response.constData());

        // Plain HTTP to the TLS port gets no answer a client could mistake for one.
        QTcpSocket plain;
        plain.connectToHost(QHostAddress::LocalHost, backend.server->port());
        QVERIFY(plain.waitForConnected(5000));
        plain.write("GET /healthz HTTP/1.1\r\n\r\n");
        QTRY_COMPARE(plain.state(), QAbstractSocket::UnconnectedState);
        QVERIFY(!plain.readAll().contains("ok"));
    }

    void badTlsConfigurationStopsStartUp_data()
    {
        QTest::addColumn<QString>("certificate");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("error");
        QTest::newRow("no certificate file") << QStringLiteral("missing.pem") << QStringLiteral("key.pem") << QStringLiteral("server.tls_certificate");
        QTest::newRow("not a certificate") << QStringLiteral("key.pem") << QStringLiteral("key.pem") << QStringLiteral("server.tls_certificate");
        QTest::newRow("not a key") << QStringLiteral("cert.pem") << QStringLiteral("cert.pem") << QStringLiteral("server.tls_private_key");
        QTest::newRow("someone else's key") << QStringLiteral("cert.pem") << QStringLiteral("other.pem") << QStringLiteral("server.tls_private_key");
        QTest::newRow("key without certificate") << QString() << QStringLiteral("key.pem") << QStringLiteral("server.tls_certificate");
    }

    void badTlsConfigurationStopsStartUp()
    {
        QFETCH(QString, certificate);
        QFETCH(QString, key);
        QFETCH(QString, error);
        QTemporaryDir dir;
        if (!makeCertificate(dir))
            QSKIP("the openssl command is not available");
        QStringList args{QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--auth-mode"), QStringLiteral("tokens")};
        if (!certificate.isEmpty())
            args << QStringLiteral("--tls-certificate") << dir.filePath(certificate);
        args << QStringLiteral("--tls-private-key") << dir.filePath(key);
        QProcess daemon;
        daemon.start(QStringLiteral(FLEETDECKD_BINARY), args);
        QVERIFY(daemon.waitForFinished(30'000));
        QCOMPARE(daemon.exitCode(), 2);
        const QString stderrText = QString::fromUtf8(daemon.readAllStandardError());
        QVERIFY2(stderrText.contains(error), qPrintable(stderrText));
    }

    // The composition root: fleetdeckd itself with TLS, tokens from the environment's format on the
    // command line, and /metrics asking for a bearer token while the probes stay open.
    void daemonServesTlsAndGuardsMetrics()
    {
        QTemporaryDir dir;
        const std::optional<TestCertificate> made = makeCertificate(dir);
        if (!made)
            QSKIP("the openssl command is not available");
        QProcess daemon;
        daemon.setProcessChannelMode(QProcess::SeparateChannels);
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("QT_LOGGING_RULES"));  // its info lines name who connected
        daemon.setProcessEnvironment(environment);
        daemon.start(QStringLiteral(FLEETDECKD_BINARY),
                     {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--from-end"), QStringLiteral("--partitions"),
                      QStringLiteral("1"), QStringLiteral("--tls-certificate"), made->certificate, QStringLiteral("--tls-private-key"),
                      made->key, QStringLiteral("--tokens"), line("prometheus", "viewer", kWallToken).trimmed() + QStringLiteral(";") + line("bob", "operator", kBobToken).trimmed(),
                      QStringLiteral("--metrics-need-token"), QStringLiteral("--exit-on-stdin-eof")});
        const auto stop = qScopeGuard([&daemon] {
            daemon.closeWriteChannel();
            if (!daemon.waitForFinished(10'000))
                daemon.kill();
        });
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += daemon.readAllStandardOutput()).contains("LISTENING wss://"), 30'000);
        const int at = out.indexOf("LISTENING wss://");
        const QUrl url(QString::fromUtf8(out.mid(at + 10, out.indexOf('\n', at) - at - 10)));
        QVERIFY(url.port() > 0);

        const auto get = [&](const QByteArray &path, const QByteArray &headers) -> QByteArray {
            QSslSocket https;
            https.setSslConfiguration(clientTrusting(*made));
            https.connectToHostEncrypted(QStringLiteral("127.0.0.1"), quint16(url.port()));
            if (!https.waitForEncrypted(10'000))
                return QByteArray("no TLS: ") + https.errorString().toUtf8();
            https.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n");
            QByteArray response;
            while (https.waitForReadyRead(5000))
                response += https.readAll();
            return response;
        };
        QVERIFY(get("/healthz", {}).startsWith("HTTP/1.1 200"));
        QVERIFY(get("/metrics", {}).startsWith("HTTP/1.1 401"));
        QVERIFY(get("/metrics", "Authorization: Bearer fdt_guessed\r\n").startsWith("HTTP/1.1 401"));
        const QByteArray metrics = get("/metrics", "Authorization: Bearer " + kWallToken + "\r\n");
        QVERIFY2(metrics.startsWith("HTTP/1.1 200"), metrics.left(200).constData());
        QVERIFY(metrics.contains("fleetdeck_clients_unauthenticated_total"));

        // And a console with a token goes live over wss:// to the real daemon.
        SystemClock consoleClock;
        WebSocketTransport transport;
        transport.setSslConfiguration(clientTrusting(*made));
        FleetClient console(&transport, &consoleClock);
        console.setToken(QString::fromLatin1(kBobToken));
        console.setUrl(url);
        QTRY_COMPARE_WITH_TIMEOUT(console.state(), FleetClient::ConnectionState::Live, 15'000);
        QCOMPARE(console.role(), int(fleet::v1::ROLE_OPERATOR));

        daemon.closeWriteChannel();
        QVERIFY(daemon.waitForFinished(15'000));
        const QByteArray logs = daemon.readAllStandardError();
        QVERIFY(logs.contains("bob"));
        QVERIFY2(!logs.contains(kBobToken) && !logs.contains(kWallToken), logs.constData());
    }

    void issueTokenPrintsTheTokenOnceAndItsLine()
    {
        QProcess tool;
        tool.start(QStringLiteral(FLEETDECKD_BINARY), {QStringLiteral("--issue-token"), QStringLiteral("carol"), QStringLiteral("operator"), QStringLiteral("30")});
        QVERIFY(tool.waitForFinished(30'000));
        QCOMPARE(tool.exitCode(), 0);
        const QStringList lines = QString::fromUtf8(tool.readAllStandardOutput()).split(QLatin1Char('\n'));
        const QString token = lines.value(1);
        QVERIFY2(token.startsWith(QLatin1String("fdt_")), qPrintable(lines.join(QLatin1Char('\n'))));
        const QString fileLine = lines.value(4);
        QVERIFY(!fileLine.contains(token));
        QStringList errors;
        const auto parsed = auth::parseTokens(fileLine, QStringLiteral("issued"), &errors);
        QCOMPARE(int(parsed.size()), 1);
        QCOMPARE(parsed[0].name, QStringLiteral("carol"));
        QCOMPARE(parsed[0].sha256, auth::sha256(token.toUtf8()));
        QVERIFY(parsed[0].expiresUnixMs > QDateTime::currentMSecsSinceEpoch() + 29LL * 86'400'000);

        QProcess hash;
        hash.start(QStringLiteral(FLEETDECKD_BINARY), {QStringLiteral("--hash-token")});
        hash.write(token.toUtf8() + '\n');
        hash.closeWriteChannel();
        QVERIFY(hash.waitForFinished(30'000));
        QCOMPARE(hash.readAllStandardOutput().trimmed(), auth::sha256(token.toUtf8()).toHex());
    }

    // Last: everything above ran with every fleetdeck log category on.
    void tokensNeverReachTheLog()
    {
        QMutexLocker lock(&g_logMutex);
        QVERIFY2(g_log.size() > 20, "the log capture saw too little to prove anything");
        QVERIFY(g_log.join(QLatin1Char('\n')).contains(QLatin1String("alice")));  // names are logged
        for (const QByteArray &token : {kAliceToken, kBobToken, kWallToken, kAdaToken, kOldToken}) {
            for (const QString &logLine : std::as_const(g_log))
                QVERIFY2(!logLine.contains(QString::fromLatin1(token)), qPrintable(logLine));
        }
    }
};

QTEST_MAIN(TestAuth)
#include "tst_auth.moc"
