#include "fleetserver.h"

#include "authenticator.h"
#include "codec.h"
#include "prometheustext.h"
#include "teleoprouter.h"

#include <QElapsedTimer>
#include <QStringDecoder>
#include <QUrlQuery>
#include <QWebSocket>

#include <google/protobuf/io/coded_stream.h>
#include <QWebSocketServer>

#include <algorithm>
#include <cmath>
#include <utility>

namespace fleetdeck {

struct FleetServer::Session {
    enum class Phase { AwaitingHello, Live, Paused };

    QWebSocket *socket = nullptr;  // deleted with deleteLater() when the session ends
    Phase phase = Phase::AwaitingHello;
    qint64 connectedMs = 0;
    qint64 lastReceivedMs = 0;
    qint64 lastSentMs = 0;
    qint64 pendingBytes = 0;  // handed to the socket, not yet written to the network
    qint64 pausedSinceMs = 0;
    QString peer;
    QString clientName;
    quint64 id = 0;
    QString operatorName;
    teleop::Role role = teleop::Role::Viewer;
    bool closing = false;  // closed by the server: nothing it still sends is acted on
    QByteArray urlToken;   // ?token= of the upgrade request, for browsers; cleared at Hello
    QByteArray tokenHash;  // of the token it authenticated with; empty in open mode
    qint64 tokenExpiresMs = 0;
    double bucket = 0;  // messages it may still send at once
    qint64 bucketRefilledMs = 0;

    // Subscription: the whole fleet, or full detail only inside a viewport and for followed robots.
    bool wholeFleet = true;
    double southDeg = 0, westDeg = 0, northDeg = 0, eastDeg = 0;
    std::vector<std::uint32_t> followedSlots;
};

namespace {

constexpr int kMaxFollowedSlots = 64;
constexpr std::size_t kMaxNameBytes = 256;      // Hello's client and operator names
constexpr std::size_t kMaxIdBytes = 128;        // robot and lease ids
constexpr std::size_t kMaxReasonBytes = 1024;   // a takeover's reason
// Far beyond any robot's class limits (which clamp): only a broken or hostile console sends more.
constexpr double kMaxPlausibleLinearMps = 20;
constexpr double kMaxPlausibleAngularDps = 3600;
constexpr int kCloseGraceMs = 2000;
// Groups every console receives for every robot; position, health and link only where it looks.
constexpr std::uint32_t kGroupsOutsideView =
    FieldGroup::Identity | FieldGroup::Mode | FieldGroup::Battery | FieldGroup::Faults;

bool isValidUtf8(const std::string &text)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = decoder.decode(QByteArrayView(text.data(), qsizetype(text.size())));
    return !decoder.hasError();
}

// A string field: not longer than `maxBytes`, UTF-8, and (names) no control characters that could
// forge a log line.
QString badString(const char *field, const std::string &text, std::size_t maxBytes, bool name = false)
{
    if (text.size() > maxBytes)
        return QStringLiteral("%1 longer than %2 bytes").arg(QLatin1String(field)).arg(maxBytes);
    if (!isValidUtf8(text))
        return QStringLiteral("%1 is not UTF-8").arg(QLatin1String(field));
    if (name && std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        return QStringLiteral("%1 has control characters").arg(QLatin1String(field));
    return {};
}

// A repeated-field entry (field 3, length-delimited) ready to be concatenated into a Delta.
QByteArray encodeEntry(const RobotState &robot, std::uint32_t slot, std::uint32_t groups)
{
    fleet::v1::RobotState wire;
    codec::writeRobotState(robot, slot, groups, &wire);
    const auto size = static_cast<std::uint32_t>(wire.ByteSizeLong());
    QByteArray entry(1 + google::protobuf::io::CodedOutputStream::VarintSize32(size) + int(size), Qt::Uninitialized);
    auto *out = reinterpret_cast<std::uint8_t *>(entry.data());
    *out++ = (3 << 3) | 2;
    out = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(size, out);
    wire.SerializeWithCachedSizesToArray(out);
    return entry;
}

}  // namespace

FleetServer::FleetServer(Settings settings, TelemetryMailbox *mailbox, const Clock *clock, QObject *parent)
    : QObject(parent),
      m_settings(std::move(settings)),
      m_mailbox(mailbox),
      m_clock(clock),
      m_store(m_settings.freshness),
      m_server(std::make_unique<QWebSocketServer>(m_settings.serverName, QWebSocketServer::NonSecureMode))
{
    m_tickTimer.setInterval(m_settings.tickIntervalMs);
    m_tickTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_tickTimer, &QTimer::timeout, this, &FleetServer::tick);
    connect(m_server.get(), &QWebSocketServer::newConnection, this, &FleetServer::onNewConnection);
    m_http.setUpgradeHandler([this](QTcpSocket *socket) {
        // Teleop acks and deltas are small frames that must leave at once: without TCP_NODELAY, Nagle
        // holds each behind the peer's delayed ACK of the previous one (up to 40 ms on Linux).
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        m_server->handleConnection(socket);
    });
}

FleetServer::~FleetServer()
{
    for (auto &session : m_sessions) {
        session->socket->disconnect(this);
        session->socket->abort();
        delete session->socket;
    }
}

bool FleetServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    if (!m_http.listen(address, port, error))
        return false;
    qCInfo(lcServer).noquote() << "serving consoles on"
                               << QStringLiteral("%1://%2:%3").arg(m_http.isTls() ? QStringLiteral("wss") : QStringLiteral("ws"),
                                                                   address.toString()).arg(m_http.port())
                               << (m_auth ? QStringLiteral("(tokens required)") : QStringLiteral("(open: no tokens)"));
    return true;
}

quint16 FleetServer::port() const
{
    return m_http.port();
}

void FleetServer::addHttpRoute(const QByteArray &path, HttpFrontend::Route route)
{
    m_http.addRoute(path, std::move(route));
}

void FleetServer::startTicking()
{
    m_tickTimer.start();
}

void FleetServer::setAuthenticator(const Authenticator *authenticator)
{
    if (m_auth)
        disconnect(m_auth, nullptr, this, nullptr);
    m_auth = authenticator;
    if (m_auth)
        connect(m_auth, &Authenticator::reloaded, this, &FleetServer::recheckTokens);
}

FleetServer::Session *FleetServer::sessionFor(QWebSocket *socket) const
{
    for (const auto &session : m_sessions) {
        if (session->socket == socket)
            return session.get();
    }
    return nullptr;
}

void FleetServer::onNewConnection()
{
    while (QWebSocket *socket = m_server->nextPendingConnection()) {
        auto session = std::make_unique<Session>();
        session->socket = socket;
        session->id = m_nextSessionId++;
        session->connectedMs = session->lastReceivedMs = session->lastSentMs = m_clock->nowUnixMs();
        session->peer = socket->peerAddress().toString() + QLatin1Char(':') + QString::number(socket->peerPort());
        session->bucket = m_settings.clientMessageBurst;
        session->bucketRefilledMs = session->connectedMs;
        // Browsers cannot set headers on a WebSocket: they may bring their token in the URL instead.
        session->urlToken = QUrlQuery(socket->requestUrl())
                                .queryItemValue(QStringLiteral("token"), QUrl::FullyDecoded)
                                .toUtf8()
                                .left(auth::kMaxTokenBytes + 1);
        socket->setMaxAllowedIncomingMessageSize(static_cast<quint64>(m_settings.maxClientFrameBytes));
        socket->setMaxAllowedIncomingFrameSize(static_cast<quint64>(m_settings.maxClientFrameBytes));

        connect(socket, &QWebSocket::binaryMessageReceived, this, [this, socket](const QByteArray &bytes) {
            if (Session *s = sessionFor(socket))
                onBinaryMessage(s, bytes);
        });
        connect(socket, &QWebSocket::textMessageReceived, this, [this, socket](const QString &) {
            if (Session *s = sessionFor(socket); s && !s->closing)
                closeForBadInput(s, QStringLiteral("text frames are not part of the protocol"),
                                 QWebSocketProtocol::CloseCodeDatatypeNotSupported);
        });
        connect(socket, &QWebSocket::bytesWritten, this, [this, socket](qint64 written) {
            if (Session *s = sessionFor(socket)) {
                s->pendingBytes = std::max<qint64>(0, s->pendingBytes - written);
                // A console on a slow link that is draining is not "not reading": only one that
                // makes no progress for maxPausedMs is closed (closing a driving operator's console
                // stops the robot, and its reconnect would bring an even larger snapshot).
                if (s->phase == Session::Phase::Paused && written > 0)
                    s->pausedSinceMs = m_clock->nowUnixMs();
            }
        });
        connect(socket, &QWebSocket::disconnected, this, [this, socket] { removeSession(socket); });
        qCInfo(lcServer).noquote() << "console connected from" << session->peer;
        m_sessions.push_back(std::move(session));
        Q_EMIT sessionCountChanged(sessionCount());
    }
}

void FleetServer::removeSession(QWebSocket *socket)
{
    const auto it = std::find_if(m_sessions.begin(), m_sessions.end(),
                                 [socket](const auto &s) { return s->socket == socket; });
    if (it == m_sessions.end())
        return;
    qCInfo(lcServer).noquote() << "console" << (*it)->peer << (*it)->clientName << "disconnected:"
                               << socket->closeReason();
    const quint64 sessionId = (*it)->id;
    socket->deleteLater();
    m_sessions.erase(it);
    if (m_teleop)
        m_teleop->consoleGone(sessionId);  // its leases end and their robots are told to stop
    Q_EMIT sessionCountChanged(sessionCount());
}

void FleetServer::closeSession(Session *session, const QString &reason, int closeCode)
{
    if (session->closing)
        return;
    session->closing = true;
    fleet::v1::ServerMessage goodbye;
    goodbye.mutable_goodbye()->set_reason(codec::toStd(reason));
    session->socket->sendBinaryMessage(codec::serialize(goodbye));
    // The close reason travels in the close frame too, limited to 123 bytes by RFC 6455.
    QWebSocket *socket = session->socket;
    // A peer that does not read would keep the socket (and its queued bytes) closing forever.
    QTimer::singleShot(kCloseGraceMs, socket, [socket] { socket->abort(); });
    socket->close(static_cast<QWebSocketProtocol::CloseCode>(closeCode), reason.left(120));
}

void FleetServer::closeForBadInput(Session *session, const QString &reason, int closeCode)
{
    ++m_stats.clientsClosedForBadInput;
    quint64 suppressed = 0;
    if (m_badInputLog.shouldLog(m_clock->nowUnixMs(), &suppressed)) {
        qCWarning(lcServer).noquote() << "closing console" << session->peer << session->operatorName << ":" << reason
                                      << (suppressed ? QStringLiteral("(%1 more since the last such line)").arg(suppressed) : QString());
    }
    closeSession(session, reason, closeCode);
}

bool FleetServer::withinRate(const Settings &settings, double *bucket, qint64 *refilledMs, qint64 nowMs)
{
    const qint64 elapsed = std::max<qint64>(0, nowMs - *refilledMs);
    *refilledMs = nowMs;
    *bucket = std::min<double>(settings.clientMessageBurst, *bucket + double(elapsed) * settings.clientMessagesPerSecond / 1000.0);
    if (*bucket < 1)
        return false;
    *bucket -= 1;
    return true;
}

QString FleetServer::invalidField(const fleet::v1::ClientMessage &message)
{
    QString why;
    switch (message.kind_case()) {
    case fleet::v1::ClientMessage::kHello: {
        const auto &hello = message.hello();
        why = badString("client_name", hello.client_name(), kMaxNameBytes, true);
        if (why.isEmpty())
            why = badString("operator_name", hello.operator_name(), kMaxNameBytes, true);
        if (why.isEmpty() && hello.token().size() > std::size_t(auth::kMaxTokenBytes))
            why = QStringLiteral("token longer than %1 bytes").arg(auth::kMaxTokenBytes);
        return why.isEmpty() ? why : QStringLiteral("invalid Hello: ") + why;
    }
    case fleet::v1::ClientMessage::kSubscribe: {
        const auto &s = message.subscribe();
        if (s.followed_slots_size() > kMaxFollowedSlots)
            return QStringLiteral("invalid Subscribe: more than %1 followed robots").arg(kMaxFollowedSlots);
        if (s.whole_fleet())
            return {};
        const bool finite = std::isfinite(s.south_deg()) && std::isfinite(s.west_deg()) && std::isfinite(s.north_deg())
            && std::isfinite(s.east_deg());
        if (!finite || s.south_deg() > s.north_deg() || s.west_deg() > s.east_deg() || std::abs(s.south_deg()) > 90
            || std::abs(s.north_deg()) > 90 || std::abs(s.west_deg()) > 180 || std::abs(s.east_deg()) > 180)
            return QStringLiteral("invalid Subscribe: the viewport is not a south-west/north-east box on the globe");
        return {};
    }
    case fleet::v1::ClientMessage::kAcquireLease:
        why = badString("robot_id", message.acquire_lease().robot_id(), kMaxIdBytes);
        if (why.isEmpty())
            why = badString("reason", message.acquire_lease().reason(), kMaxReasonBytes);
        return why.isEmpty() ? why : QStringLiteral("invalid AcquireLease: ") + why;
    case fleet::v1::ClientMessage::kReleaseLease:
        why = badString("lease_id", message.release_lease().lease_id(), kMaxIdBytes);
        return why.isEmpty() ? why : QStringLiteral("invalid ReleaseLease: ") + why;
    case fleet::v1::ClientMessage::kTeleop: {
        const auto &t = message.teleop();
        if (!fleet::v1::TeleopCommand::Kind_IsValid(t.kind()) || t.kind() == fleet::v1::TeleopCommand::KIND_UNSPECIFIED)
            return QStringLiteral("invalid TeleopCommand: unknown kind %1").arg(int(t.kind()));
        why = badString("robot_id", t.robot_id(), kMaxIdBytes);
        if (why.isEmpty())
            why = badString("lease_id", t.lease_id(), kMaxIdBytes);
        if (why.isEmpty() && (!std::isfinite(t.linear_mps()) || !std::isfinite(t.angular_dps())))
            why = QStringLiteral("speeds must be finite");
        if (why.isEmpty() && (std::abs(t.linear_mps()) > kMaxPlausibleLinearMps || std::abs(t.angular_dps()) > kMaxPlausibleAngularDps))
            why = QStringLiteral("speeds out of range (%1 m/s, %2 °/s at most)").arg(kMaxPlausibleLinearMps).arg(kMaxPlausibleAngularDps);
        return why.isEmpty() ? why : QStringLiteral("invalid TeleopCommand: ") + why;
    }
    case fleet::v1::ClientMessage::kHeartbeat:
    case fleet::v1::ClientMessage::kResync:
    case fleet::v1::ClientMessage::kAcknowledgeAlert:
        return {};
    case fleet::v1::ClientMessage::KIND_NOT_SET:
        return QStringLiteral("malformed frame: not a fleet.v1.ClientMessage");
    }
    return QStringLiteral("unknown message");
}

void FleetServer::onBinaryMessage(Session *session, const QByteArray &bytes)
{
    if (session->closing)
        return;  // what was already on its way when the server closed it is not acted on
    const qint64 now = m_clock->nowUnixMs();
    session->lastReceivedMs = now;
    if (!withinRate(m_settings, &session->bucket, &session->bucketRefilledMs, now)) {
        ++m_stats.clientsClosedForRate;
        closeForBadInput(session, QStringLiteral("too many messages: more than %1 a second").arg(m_settings.clientMessagesPerSecond),
                         QWebSocketProtocol::CloseCodePolicyViolated);
        return;
    }
    fleet::v1::ClientMessage message;
    if (!codec::parse(bytes, &message) || message.kind_case() == fleet::v1::ClientMessage::KIND_NOT_SET) {
        closeForBadInput(session, QStringLiteral("malformed frame: not a fleet.v1.ClientMessage"),
                         QWebSocketProtocol::CloseCodeProtocolError);
        return;
    }
    if (const QString why = invalidField(message); !why.isEmpty()) {
        closeForBadInput(session, why, QWebSocketProtocol::CloseCodeProtocolError);
        return;
    }
    // Checked on every message, not only at the tick: an expired token acts on nothing more.
    if (session->tokenExpiresMs > 0 && now >= session->tokenExpiresMs) {
        ++m_stats.clientsClosedForToken;
        closeSession(session, QStringLiteral("token expired"), QWebSocketProtocol::CloseCodePolicyViolated);
        return;
    }
    if (session->phase == Session::Phase::AwaitingHello) {
        if (message.kind_case() != fleet::v1::ClientMessage::kHello) {
            closeForBadInput(session, QStringLiteral("the first message must be Hello"),
                             QWebSocketProtocol::CloseCodeProtocolError);
            return;
        }
        handleHello(session, message);
        return;
    }
    switch (message.kind_case()) {
    case fleet::v1::ClientMessage::kHello:
        closeForBadInput(session, QStringLiteral("Hello sent twice"), QWebSocketProtocol::CloseCodeProtocolError);
        return;
    case fleet::v1::ClientMessage::kHeartbeat:
        return;  // lastReceivedMs is all it is for
    case fleet::v1::ClientMessage::kResync:
        // A console that asks again and again while not reading gets its snapshot when it has drained.
        if (session->pendingBytes > m_settings.maxPendingBytes / 4)
            pause(session);
        else
            sendSnapshot(session);
        return;
    case fleet::v1::ClientMessage::kSubscribe:
        handleSubscribe(session, message);
        return;
    case fleet::v1::ClientMessage::kAcquireLease:
    case fleet::v1::ClientMessage::kReleaseLease:
    case fleet::v1::ClientMessage::kTeleop:
        handleTeleop(session, message);
        return;
    case fleet::v1::ClientMessage::kAcknowledgeAlert: {
        fleet::v1::ServerMessage reply;
        fleet::v1::AcknowledgeResult *result = reply.mutable_acknowledge_result();
        result->set_alert_id(message.acknowledge_alert().alert_id());
        if (session->role == teleop::Role::Viewer) {
            // Checked here, for every message: a wall display or a viewer never acknowledges.
            result->set_reason("this console may watch but not acknowledge");
        } else if (!m_acknowledge) {
            result->set_reason("alerts are not evaluated by this backend");
        } else {
            QString reason;
            result->set_ok(m_acknowledge(session->operatorName, message.acknowledge_alert().alert_id(), &reason));
            result->set_reason(codec::toStd(reason));
        }
        sendTo(session, codec::serialize(reply));
        return;
    }
    case fleet::v1::ClientMessage::KIND_NOT_SET:
        return;
    }
}

void FleetServer::handleHello(Session *session, const fleet::v1::ClientMessage &message)
{
    const auto &hello = message.hello();
    if (hello.protocol_version() != fleet::v1::PROTOCOL_VERSION_1) {
        closeSession(session,
                     QStringLiteral("unsupported protocol version %1; this server speaks 1").arg(hello.protocol_version()),
                     QWebSocketProtocol::CloseCodePolicyViolated);
        return;
    }
    session->clientName = codec::toQString(hello.client_name()).left(80);
    const QByteArray urlToken = std::exchange(session->urlToken, QByteArray());
    if (m_auth) {
        // Hello's token first; the URL's for browsers. The token itself is never logged.
        const QByteArray token = hello.token().empty() ? urlToken : QByteArray::fromStdString(hello.token());
        const Authenticator::Identity identity = m_auth->authenticate(token);
        if (identity.verdict != Authenticator::Verdict::Valid) {
            ++m_stats.clientsRefusedUnauthenticated;
            quint64 suppressed = 0;
            if (m_authLog.shouldLog(m_clock->nowUnixMs(), &suppressed)) {
                qCWarning(lcServer).noquote() << "refused console" << session->peer << session->clientName << ":"
                                              << identity.reason() << (identity.name.isEmpty() ? QString() : QStringLiteral("(%1)").arg(identity.name))
                                              << (suppressed ? QStringLiteral("(%1 more since the last such line)").arg(suppressed) : QString());
            }
            closeSession(session, identity.reason(), QWebSocketProtocol::CloseCodePolicyViolated);
            return;
        }
        // The token says who this is: a console's own claim is not believed.
        session->operatorName = identity.name;
        session->role = hello.read_only() ? teleop::Role::Viewer : identity.role;
        session->tokenHash = identity.tokenHash;
        session->tokenExpiresMs = identity.expiresUnixMs;
        qCInfo(lcServer).noquote() << "console" << session->peer << session->clientName << "is" << identity.name << "as"
                                   << auth::roleName(session->role);
    } else {
        session->operatorName = codec::toQString(hello.operator_name()).left(64);
        if (session->operatorName.isEmpty())
            session->operatorName = session->peer;
        session->role = hello.read_only() ? teleop::Role::Viewer
            : m_settings.adminOperators.contains(session->operatorName) ? teleop::Role::Admin
                                                                         : teleop::Role::Operator;
    }
    fleet::v1::ServerMessage welcome;
    auto *w = welcome.mutable_welcome();
    w->set_protocol_version(fleet::v1::PROTOCOL_VERSION_1);
    w->set_server_name(codec::toStd(m_settings.serverName));
    w->set_tick_interval_ms(static_cast<std::uint32_t>(m_settings.tickIntervalMs));
    w->set_heartbeat_interval_ms(static_cast<std::uint32_t>(m_settings.heartbeatIntervalMs));
    w->set_stale_after_ms(static_cast<std::uint32_t>(m_settings.freshness.staleAfterMs));
    w->set_lost_after_ms(static_cast<std::uint32_t>(m_settings.freshness.lostAfterMs));
    w->set_role(static_cast<fleet::v1::Role>(int(session->role) + 1));
    w->set_lease_ttl_ms(static_cast<std::uint32_t>(m_settings.leaseTtlMs));
    w->set_command_budget_ms(static_cast<std::uint32_t>(m_settings.commandBudgetMs));
    sendTo(session, codec::serialize(welcome));
    sendTo(session, encodeStatus());
    sendSnapshot(session);
    if (m_teleop) {
        sendTo(session, codec::serialize(m_teleop->leaseTable()));
        sendTo(session, codec::serialize(m_teleop->recentHistory()));
    }
    for (const Greeting &greeting : m_greetings) {
        const QByteArray bytes = greeting();
        if (!bytes.isEmpty())
            sendTo(session, bytes);
    }
}

void FleetServer::setTeleopRouter(TeleopRouter *router)
{
    m_teleop = router;
}

void FleetServer::sendToConsole(quint64 sessionId, const fleet::v1::ServerMessage &message)
{
    for (const auto &session : m_sessions) {
        if (session->id == sessionId && session->phase != Session::Phase::AwaitingHello && !session->closing) {
            sendTo(session.get(), codec::serialize(message));
            return;
        }
    }
}

void FleetServer::broadcastToConsoles(const fleet::v1::ServerMessage &message)
{
    broadcastEncoded(codec::serialize(message));
}

void FleetServer::broadcastEncoded(const QByteArray &bytes)
{
    for (const auto &session : m_sessions) {
        if (session->phase != Session::Phase::AwaitingHello && !session->closing)
            sendTo(session.get(), bytes);
    }
}

void FleetServer::handleTeleop(Session *session, const fleet::v1::ClientMessage &message)
{
    if (!m_teleop) {
        fleet::v1::ServerMessage refusal;
        refusal.mutable_teleop_result()->set_reason("teleoperation is not enabled on this backend");
        sendTo(session, codec::serialize(refusal));
        return;
    }
    // Only robots the backend knows can be leased or commanded: a made-up id would otherwise cost
    // memory in the router and bytes in every console's lease table.
    const std::string &robotId = message.kind_case() == fleet::v1::ClientMessage::kAcquireLease
        ? message.acquire_lease().robot_id()
        : message.kind_case() == fleet::v1::ClientMessage::kTeleop ? message.teleop().robot_id() : std::string();
    if (message.kind_case() != fleet::v1::ClientMessage::kReleaseLease && !m_store.slotOf(codec::toQString(robotId.substr(0, 256)))) {
        fleet::v1::ServerMessage refusal;
        auto *result = refusal.mutable_teleop_result();
        result->set_robot_id(robotId.substr(0, 256));
        result->set_reason("no such robot");
        sendTo(session, codec::serialize(refusal));
        return;
    }
    const TeleopRouter::Console console{session->id, session->operatorName, session->role};
    switch (message.kind_case()) {
    case fleet::v1::ClientMessage::kAcquireLease: m_teleop->acquire(console, message.acquire_lease()); break;
    case fleet::v1::ClientMessage::kReleaseLease: m_teleop->release(console, message.release_lease()); break;
    case fleet::v1::ClientMessage::kTeleop: m_teleop->command(console, message.teleop()); break;
    default: break;
    }
}

QByteArray FleetServer::encodeStatus() const
{
    fleet::v1::ServerMessage message;
    message.mutable_status()->set_kafka_reachable(m_kafkaReachable);
    message.mutable_status()->set_state_rebuilt(m_stateRebuilt);
    return codec::serialize(message);
}

void FleetServer::setUpstreamStatus(bool kafkaReachable, bool stateRebuilt)
{
    if (kafkaReachable == m_kafkaReachable && stateRebuilt == m_stateRebuilt)
        return;
    m_kafkaReachable = kafkaReachable;
    m_stateRebuilt = stateRebuilt;
    const QByteArray status = encodeStatus();
    for (const auto &session : m_sessions) {
        if (session->phase != Session::Phase::AwaitingHello && !session->closing)
            sendTo(session.get(), status);
    }
}

void FleetServer::handleSubscribe(Session *session, const fleet::v1::ClientMessage &message)
{
    const auto &s = message.subscribe();  // checked by invalidField()
    session->wholeFleet = s.whole_fleet();
    session->southDeg = s.south_deg();
    session->westDeg = s.west_deg();
    session->northDeg = s.north_deg();
    session->eastDeg = s.east_deg();
    session->followedSlots.assign(s.followed_slots().begin(), s.followed_slots().end());
    qCDebug(lcServer).noquote() << "console" << session->peer << "watches"
                                << (s.whole_fleet() ? QStringLiteral("the whole fleet")
                                                    : QStringLiteral("%1,%2 – %3,%4 and %5 followed")
                                                          .arg(s.south_deg()).arg(s.west_deg()).arg(s.north_deg())
                                                          .arg(s.east_deg()).arg(s.followed_slots_size()))
                                << (s.followed_slots_size() > 0 && s.followed_slots(0) < m_store.size() ? m_store.robot(s.followed_slots(0)).robotId : QString());
    if (session->phase != Session::Phase::Live)
        return;  // a snapshot is coming anyway
    if (session->pendingBytes > m_settings.maxPendingBytes / 4) {
        pause(session);  // not reading: a snapshot once drained, not a refresh now
        return;
    }

    // Positions held back while robots were out of view are brought up to date at once.
    fleet::v1::ServerMessage reply;
    auto *refresh = reply.mutable_refresh();
    refresh->set_sequence(m_sequence);
    refresh->set_server_time_unix_ms(m_clock->nowUnixMs());
    for (std::uint32_t slot = 0; slot < m_store.size(); ++slot) {
        if (sees(*session, slot))
            codec::writeRobotState(m_store.robot(slot), slot, FieldGroup::All, refresh->add_robots());
    }
    sendTo(session, codec::serialize(reply));
}

bool FleetServer::inViewport(const Session &session, double latDeg, double lonDeg)
{
    return latDeg >= session.southDeg && latDeg <= session.northDeg && lonDeg >= session.westDeg
        && lonDeg <= session.eastDeg;
}

bool FleetServer::sees(const Session &session, std::uint32_t slot) const
{
    if (session.wholeFleet)
        return true;
    const RobotState &robot = m_store.robot(slot);
    if (inViewport(session, robot.latDeg, robot.lonDeg))
        return true;
    return std::find(session.followedSlots.begin(), session.followedSlots.end(), slot) != session.followedSlots.end();
}

QByteArray FleetServer::assembleFilteredDelta(const Session &session, const QByteArray &header,
                                              const std::vector<FleetStore::Change> &changes,
                                              const std::vector<QByteArray> &fullEntries,
                                              const std::vector<QByteArray> &reducedEntries) const
{
    QByteArray body = header;
    for (std::size_t i = 0; i < changes.size(); ++i)
        body += sees(session, changes[i].slot) || inViewport(session, changes[i].previousLatDeg, changes[i].previousLonDeg)
            ? fullEntries[i]
            : reducedEntries[i];
    // ServerMessage field 4 (delta), length-delimited, around the concatenated Delta fields.
    const auto size = static_cast<std::uint32_t>(body.size());
    QByteArray frame(1 + google::protobuf::io::CodedOutputStream::VarintSize32(size), Qt::Uninitialized);
    auto *out = reinterpret_cast<std::uint8_t *>(frame.data());
    *out++ = (4 << 3) | 2;
    google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(size, out);
    return frame + body;
}

QByteArray FleetServer::encodeSnapshot()
{
    if (m_snapshotSequence == m_sequence)
        return m_snapshotBytes;
    fleet::v1::ServerMessage message;
    auto *snapshot = message.mutable_snapshot();
    snapshot->set_sequence(m_sequence);
    snapshot->set_server_time_unix_ms(m_clock->nowUnixMs());
    const auto &robots = m_store.robots();
    snapshot->mutable_robots()->Reserve(static_cast<int>(robots.size()));
    for (std::uint32_t slot = 0; slot < robots.size(); ++slot)
        codec::writeRobotState(robots[slot], slot, FieldGroup::All, snapshot->add_robots());
    m_snapshotBytes = codec::serialize(message);
    m_snapshotSequence = m_sequence;
    return m_snapshotBytes;
}

void FleetServer::sendSnapshot(Session *session)
{
    sendTo(session, encodeSnapshot());
    session->phase = Session::Phase::Live;
    ++m_stats.snapshotsSent;
}

void FleetServer::pause(Session *session)
{
    if (session->phase != Session::Phase::Paused)
        session->pausedSinceMs = m_clock->nowUnixMs();
    session->phase = Session::Phase::Paused;
}

void FleetServer::sendTo(Session *session, const QByteArray &bytes)
{
    session->pendingBytes += bytes.size();
    session->lastSentMs = m_clock->nowUnixMs();
    session->socket->sendBinaryMessage(bytes);
    ++m_stats.framesSent;
    m_stats.bytesSent += static_cast<quint64>(bytes.size());
}

void FleetServer::tick()
{
    QElapsedTimer elapsed;
    elapsed.start();
    const qint64 now = m_clock->nowUnixMs();
    ++m_stats.ticks;
    if (m_mailbox) {
        for (const RobotState &sample : m_mailbox->take()) {
            // Samples replayed after a restart carry their Kafka time, so a robot silent for minutes
            // shows its true age instead of looking fresh.
            const qint64 received = sample.receivedUnixMs > 0 ? std::min<qint64>(now, sample.receivedUnixMs) : now;
            if (m_store.apply(sample, received))
                ++m_stats.samplesApplied;
            else
                ++m_stats.samplesOutOfOrder;
        }
    }
    m_store.updateFreshness(now);

    if (m_store.hasChanges()) {
        ++m_sequence;
        const std::vector<FleetStore::Change> changes = m_store.takeChanges();

        // The whole-fleet delta, encoded once on first use and sent as the same bytes to every
        // console that watches the whole fleet; never encoded in a tick without such a console.
        QByteArray wholeFleetBytes;
        const auto wholeFleetDelta = [&]() -> const QByteArray & {
            if (!wholeFleetBytes.isEmpty())
                return wholeFleetBytes;
            fleet::v1::ServerMessage message;
            auto *delta = message.mutable_delta();
            delta->set_sequence(m_sequence);
            delta->set_server_time_unix_ms(now);
            delta->mutable_robots()->Reserve(static_cast<int>(changes.size()));
            for (const FleetStore::Change &change : changes)
                codec::writeRobotState(m_store.robot(change.slot), change.slot, change.groups, delta->add_robots());
            wholeFleetBytes = codec::serialize(message);
            ++m_stats.deltasEncoded;
            return wholeFleetBytes;
        };

        // For consoles watching a viewport: each changed robot encoded once in full and once reduced,
        // then per console only concatenation. Built only when such a console exists.
        std::vector<QByteArray> fullEntries, reducedEntries;
        QByteArray header;
        const auto buildEntries = [&] {
            if (!header.isEmpty())
                return;
            fleet::v1::Delta headerOnly;
            headerOnly.set_sequence(m_sequence);
            headerOnly.set_server_time_unix_ms(now);
            header = codec::serialize(headerOnly);
            fullEntries.reserve(changes.size());
            reducedEntries.reserve(changes.size());
            for (const FleetStore::Change &change : changes) {
                const RobotState &robot = m_store.robot(change.slot);
                fullEntries.push_back(encodeEntry(robot, change.slot, change.groups));
                // A robot new to the backend arrives whole everywhere, so no console holds a row without a position.
                const std::uint32_t reduced = (change.groups & FieldGroup::Identity)
                    ? change.groups
                    : (change.groups & kGroupsOutsideView)
                        | (change.freshnessStateChanged ? std::uint32_t(FieldGroup::Freshness) : 0u);
                reducedEntries.push_back(reduced ? encodeEntry(robot, change.slot, reduced) : QByteArray());
            }
        };

        for (const auto &session : m_sessions) {
            if (session->phase == Session::Phase::AwaitingHello || session->closing)
                continue;
            if (session->phase == Session::Phase::Live && session->pendingBytes > m_settings.maxPendingBytes) {
                pause(session.get());
                qCWarning(lcServer).noquote() << "console" << session->peer << "is not keeping up ("
                                              << session->pendingBytes << "bytes unsent); pausing its deltas";
            }
            if (session->phase == Session::Phase::Paused) {
                ++m_stats.deltasSkippedForSlowClients;
                continue;
            }
            if (session->wholeFleet) {
                sendTo(session.get(), wholeFleetDelta());
                continue;
            }
            buildEntries();
            sendTo(session.get(), assembleFilteredDelta(*session, header, changes, fullEntries, reducedEntries));
            ++m_stats.filteredDeltasSent;
        }
    }

    for (const auto &session : m_sessions) {
        if (session->closing)
            continue;
        // A paused console resumes from a fresh snapshot once it has drained most of its backlog.
        if (session->phase == Session::Phase::Paused && session->pendingBytes < m_settings.maxPendingBytes / 4)
            sendSnapshot(session.get());
        if (session->phase != Session::Phase::AwaitingHello
            && now - session->lastSentMs >= m_settings.heartbeatIntervalMs) {
            fleet::v1::ServerMessage heartbeat;
            heartbeat.mutable_heartbeat()->set_sent_unix_ms(now);
            sendTo(session.get(), codec::serialize(heartbeat));
        }
    }
    checkTimeouts(now);
    if (m_teleop)
        m_teleop->expireLeases();
    m_tickDuration.observe(double(elapsed.nsecsElapsed()) / 1e9);
    Q_EMIT ticked();
}

qint64 FleetServer::pendingBytes() const
{
    qint64 total = 0;
    for (const auto &session : m_sessions)
        total += session->pendingBytes;
    return total;
}

void FleetServer::writeMetrics(PrometheusText *out) const
{
    out->gauge("fleetdeck_http_connections_open", "HTTP connections open, not counting consoles' WebSockets.",
               double(m_http.openHttpConnections()));
    out->counter("fleetdeck_http_connections_refused_total", "HTTP connections refused with 503: too many open at once.",
                 double(m_http.refusedConnectionCount()));
    out->gauge("fleetdeck_robots", "Robots known to the backend, by data freshness.", double(m_store.countIn(Freshness::Live)), {{"freshness", "live"}});
    out->gauge("fleetdeck_robots", "", double(m_store.countIn(Freshness::Stale)), {{"freshness", "stale"}});
    out->gauge("fleetdeck_robots", "", double(m_store.countIn(Freshness::Lost)), {{"freshness", "lost"}});
    out->gauge("fleetdeck_state_rebuilt", "1 once the backlog present at start has been read.", m_stateRebuilt ? 1 : 0);
    out->gauge("fleetdeck_console_sessions", "Connected console sessions.", double(m_sessions.size()));
    out->gauge("fleetdeck_console_pending_bytes", "Bytes queued to consoles but not yet written.", double(pendingBytes()));
    out->counter("fleetdeck_ticks_total", "Fan-out ticks run.", double(m_stats.ticks));
    out->counter("fleetdeck_deltas_encoded_total", "Delta frames encoded (once each, for all consoles).", double(m_stats.deltasEncoded));
    out->counter("fleetdeck_frames_sent_total", "WebSocket frames handed to consoles.", double(m_stats.framesSent));
    out->counter("fleetdeck_bytes_sent_total", "Bytes handed to consoles.", double(m_stats.bytesSent));
    out->counter("fleetdeck_snapshots_sent_total", "Snapshots sent (on connect, on resync, after a pause).", double(m_stats.snapshotsSent));
    out->counter("fleetdeck_deltas_dropped_slow_client_total", "Deltas not sent to consoles paused for falling behind.", double(m_stats.deltasSkippedForSlowClients));
    out->counter("fleetdeck_clients_closed_bad_input_total", "Consoles closed for malformed, invalid or too many frames.", double(m_stats.clientsClosedForBadInput));
    out->counter("fleetdeck_clients_closed_rate_total", "Consoles closed for sending too many messages (also counted as bad input).", double(m_stats.clientsClosedForRate));
    out->counter("fleetdeck_clients_closed_not_reading_total", "Consoles closed for leaving their deltas unread past the pause limit.", double(m_stats.clientsClosedForNotReading));
    out->counter("fleetdeck_clients_unauthenticated_total", "Consoles refused at Hello: no token, an unknown or an expired one.", double(m_stats.clientsRefusedUnauthenticated));
    out->counter("fleetdeck_clients_closed_token_total", "Consoles closed because their token was revoked, expired or changed.", double(m_stats.clientsClosedForToken));
    out->counter("fleetdeck_samples_applied_total", "Telemetry samples applied to the fleet state.", double(m_stats.samplesApplied));
    out->counter("fleetdeck_samples_out_of_order_total", "Telemetry samples dropped as older than the state.", double(m_stats.samplesOutOfOrder));
    out->histogram("fleetdeck_tick_duration_seconds", "Time to drain, diff, encode and send one tick.", m_tickDuration);
}

void FleetServer::closeAllSessions(const QString &reason)
{
    m_tickTimer.stop();
    m_http.close();
    // Closing may disconnect at once and erase the session: iterate over a copy.
    std::vector<Session *> sessions;
    for (const auto &session : m_sessions)
        sessions.push_back(session.get());
    for (Session *session : sessions) {
        if (sessionFor(session->socket) == session)
            closeSession(session, reason, QWebSocketProtocol::CloseCodeGoingAway);
    }
}

void FleetServer::recheckTokens()
{
    std::vector<std::pair<Session *, QString>> ended;
    for (const auto &session : m_sessions) {
        if (session->closing || session->tokenHash.isEmpty())
            continue;
        const Authenticator::Identity identity = m_auth->recheck(session->tokenHash);
        if (identity.verdict == Authenticator::Verdict::Unknown)
            ended.emplace_back(session.get(), QStringLiteral("token revoked"));
        else if (identity.verdict == Authenticator::Verdict::Expired)
            ended.emplace_back(session.get(), QStringLiteral("token expired"));
        else if (identity.name != session->operatorName || (identity.role != session->role && session->role != teleop::Role::Viewer))
            ended.emplace_back(session.get(), QStringLiteral("token changed: reconnect"));
        else
            session->tokenExpiresMs = identity.expiresUnixMs;  // a later expiry for the same token
    }
    for (const auto &[session, why] : ended) {
        ++m_stats.clientsClosedForToken;
        qCInfo(lcServer).noquote() << "closing console" << session->peer << "of" << session->operatorName << ":" << why;
        closeSession(session, why, QWebSocketProtocol::CloseCodePolicyViolated);
    }
}

void FleetServer::checkTimeouts(qint64 nowMs)
{
    std::vector<Session *> tokenExpired;
    for (const auto &session : m_sessions) {
        if (!session->closing && session->tokenExpiresMs > 0 && nowMs >= session->tokenExpiresMs)
            tokenExpired.push_back(session.get());
    }
    for (Session *session : tokenExpired) {
        ++m_stats.clientsClosedForToken;
        qCInfo(lcServer).noquote() << "closing console" << session->peer << "of" << session->operatorName << ": token expired";
        closeSession(session, QStringLiteral("token expired"), QWebSocketProtocol::CloseCodePolicyViolated);
    }
    std::vector<Session *> notReading;
    for (const auto &session : m_sessions) {
        if (!session->closing && session->phase == Session::Phase::Paused && nowMs - session->pausedSinceMs > m_settings.maxPausedMs)
            notReading.push_back(session.get());
    }
    for (Session *session : notReading) {
        ++m_stats.clientsClosedForNotReading;
        qCWarning(lcServer).noquote() << "closing console" << session->peer << session->operatorName << ": not reading,"
                                      << session->pendingBytes << "bytes unsent for" << m_settings.maxPausedMs / 1000 << "s";
        closeSession(session, QStringLiteral("not reading: the backend stopped sending and closed the connection; reconnect for a snapshot"),
                     QWebSocketProtocol::CloseCodePolicyViolated);
    }
    std::vector<Session *> expired;
    for (const auto &session : m_sessions) {
        if (session->closing)
            continue;
        if (session->phase == Session::Phase::AwaitingHello && nowMs - session->connectedMs > m_settings.helloTimeoutMs)
            expired.push_back(session.get());
        else if (nowMs - session->lastReceivedMs > m_settings.peerTimeoutMs)
            expired.push_back(session.get());
    }
    for (Session *session : expired) {
        closeSession(session, QStringLiteral("no message from the console for too long"),
                     QWebSocketProtocol::CloseCodeGoingAway);
    }
}

}  // namespace fleetdeck
