#include "fleetclient.h"

#include "codec.h"
#include "logging.h"

#include <QCoreApplication>

#include <algorithm>

namespace fleetdeck {
namespace {
// A backend that sends nothing, not even a heartbeat, for this many heartbeat intervals is gone.
constexpr int kSilentIntervalsBeforeGiveUp = 3;
}

FleetClient::FleetClient(Transport *transport, const Clock *clock, QObject *parent)
    : QObject(parent), m_transport(transport), m_clock(clock)
{
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &FleetClient::reconnectNow);
    connect(&m_heartbeatTimer, &QTimer::timeout, this, [this] {
        sendHeartbeat();
        checkPeerAlive();
    });
    connect(m_transport, &Transport::opened, this, &FleetClient::onOpened);
    connect(m_transport, &Transport::closed, this, &FleetClient::onClosed);
    connect(m_transport, &Transport::binaryReceived, this, &FleetClient::onMessage);
    // A robot followed before the backend had heard of it (a fresh backend, a robot just switched
    // on): tell the backend once the robot appears, or it would stay frozen outside the viewport.
    connect(&m_model, &QAbstractItemModel::rowsInserted, this, [this] {
        if (!m_wholeFleet && !m_followedKnownToServer && m_model.rowOf(m_followedRobotId) >= 0)
            sendSubscription();
    });
}

void FleetClient::setUrl(const QUrl &url)
{
    if (url == m_url)
        return;
    m_url = url;
    Q_EMIT urlChanged();
    m_attempt = 0;
    if (m_url.isEmpty()) {
        m_reconnectTimer.stop();
        m_heartbeatTimer.stop();
        m_transport->close();
        setState(ConnectionState::Disconnected);
        return;
    }
    reconnectNow();
}

void FleetClient::reconnectNow()
{
    if (m_url.isEmpty())
        return;
    m_reconnectTimer.stop();
    m_awaitingSnapshot = true;
    setState(ConnectionState::Connecting);
    m_transport->open(m_url);
}

void FleetClient::watchViewport(double southDeg, double westDeg, double northDeg, double eastDeg)
{
    const double box[4] = {southDeg, westDeg, northDeg, eastDeg};
    if (!m_wholeFleet && std::equal(std::begin(box), std::end(box), std::begin(m_viewport)))
        return;
    m_wholeFleet = false;
    std::copy(std::begin(box), std::end(box), std::begin(m_viewport));
    sendSubscription();
}

void FleetClient::watchWholeFleet()
{
    if (m_wholeFleet)
        return;
    m_wholeFleet = true;
    sendSubscription();
}

void FleetClient::setFollowedRobot(const QString &robotId)
{
    if (robotId == m_followedRobotId)
        return;
    m_followedRobotId = robotId;
    if (!m_wholeFleet)
        sendSubscription();
}

void FleetClient::sendSubscription()
{
    if (m_state != ConnectionState::Live)
        return;  // sent once the next snapshot makes the session live
    fleet::v1::ClientMessage message;
    auto *s = message.mutable_subscribe();
    s->set_whole_fleet(m_wholeFleet);
    if (!m_wholeFleet) {
        s->set_south_deg(m_viewport[0]);
        s->set_west_deg(m_viewport[1]);
        s->set_north_deg(m_viewport[2]);
        s->set_east_deg(m_viewport[3]);
        const int followed = m_model.rowOf(m_followedRobotId);
        if (followed >= 0)
            s->add_followed_slots(static_cast<std::uint32_t>(followed));
        m_followedKnownToServer = followed >= 0 || m_followedRobotId.isEmpty();
    }
    send(message);
}

QString FleetClient::stateText() const
{
    switch (m_state) {
    case ConnectionState::Disconnected: return tr("Not connected");
    case ConnectionState::Connecting: return tr("Connecting to %1…").arg(m_url.toString(QUrl::RemoveQuery));  // no ?token=
    case ConnectionState::Synchronizing: return tr("Loading the fleet…");
    case ConnectionState::Live: return tr("Live");
    case ConnectionState::Reconnecting:
        return tr("Backend unreachable: retrying in %1 s").arg((m_reconnectDelayMs + 999) / 1000);
    }
    return {};
}

void FleetClient::setState(ConnectionState state)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged();
}

void FleetClient::setLastError(const QString &error)
{
    if (error == m_lastError)
        return;
    m_lastError = error;
    Q_EMIT lastErrorChanged();
}

void FleetClient::send(const google::protobuf::MessageLite &message)
{
    m_transport->sendBinary(codec::serialize(message));
}

bool FleetClient::sendClientMessage(const fleet::v1::ClientMessage &message)
{
    if (m_state != ConnectionState::Live)
        return false;
    return m_transport->sendBinary(codec::serialize(message));
}

void FleetClient::onOpened()
{
    m_lastReceivedMs = m_clock->nowUnixMs();
    setState(ConnectionState::Synchronizing);
    fleet::v1::ClientMessage hello;
    auto *h = hello.mutable_hello();
    h->set_protocol_version(fleet::v1::PROTOCOL_VERSION_1);
    h->set_client_name(codec::toStd(QCoreApplication::applicationName() + QLatin1Char(' ')
                                    + QCoreApplication::applicationVersion()));
    h->set_operator_name(codec::toStd(m_operatorName));
    h->set_read_only(m_readOnly);
    h->set_token(codec::toStd(m_token));
    send(hello);
    m_heartbeatTimer.start(m_heartbeatIntervalMs);
}

void FleetClient::closeWithError(const QString &error)
{
    setLastError(error);
    m_closedWithError = true;
    m_transport->close();
}

void FleetClient::onClosed(const QString &reason)
{
    m_heartbeatTimer.stop();
    if (!m_upstreamProblem.isEmpty()) {
        m_upstreamProblem.clear();  // no longer known; the banner says the backend itself is gone
        Q_EMIT upstreamProblemChanged();
    }
    // Our own reason for closing says more than the transport's "closed".
    if (!m_closedWithError && !reason.isEmpty() && reason != QLatin1String("connection closed"))
        setLastError(reason);
    m_closedWithError = false;
    qCInfo(lcClient).noquote() << "connection to" << m_url.toString(QUrl::RemoveQuery) << "ended:" << reason;
    if (m_url.isEmpty()) {
        setState(ConnectionState::Disconnected);
        return;
    }
    scheduleReconnect();
}

void FleetClient::scheduleReconnect()
{
    // Exponential backoff with jitter, so a restarted backend is not hit by every console at once.
    const int base = std::min(kMaxBackoffMs, kInitialBackoffMs << std::min(m_attempt, 6));
    const int jitter = static_cast<int>(static_cast<quint64>(m_clock->nowUnixMs()) % static_cast<quint64>(base / 4 + 1));
    m_reconnectDelayMs = std::min(kMaxBackoffMs, base + jitter);
    ++m_attempt;
    m_reconnectTimer.start(m_reconnectDelayMs);
    // Emitted even when already Reconnecting: the delay shown has changed.
    m_state = ConnectionState::Reconnecting;
    Q_EMIT stateChanged();
}

void FleetClient::sendHeartbeat()
{
    fleet::v1::ClientMessage heartbeat;
    heartbeat.mutable_heartbeat()->set_sent_unix_ms(m_clock->nowUnixMs());
    send(heartbeat);
}

void FleetClient::checkPeerAlive()
{
    if (m_clock->nowUnixMs() - m_lastReceivedMs > qint64(kSilentIntervalsBeforeGiveUp) * m_heartbeatIntervalMs) {
        closeWithError(tr("The backend stopped answering"));
    }
}

void FleetClient::requestResync(const QString &why)
{
    qCInfo(lcClient).noquote() << "resynchronising:" << why;
    ++m_stats.gaps;
    m_awaitingSnapshot = true;
    setState(ConnectionState::Synchronizing);
    fleet::v1::ClientMessage resync;
    resync.mutable_resync()->set_last_good_sequence(m_sequence);
    send(resync);
}

void FleetClient::onMessage(const QByteArray &bytes)
{
    const qint64 now = m_clock->nowUnixMs();
    m_lastReceivedMs = now;
    ++m_stats.framesReceived;
    m_stats.bytesReceived += static_cast<quint64>(bytes.size());

    fleet::v1::ServerMessage message;
    if (!codec::parse(bytes, &message)) {
        closeWithError(tr("The backend sent a message this console cannot read"));
        return;
    }
    switch (message.kind_case()) {
    case fleet::v1::ServerMessage::kWelcome: {
        const auto &w = message.welcome();
        m_serverName = codec::toQString(w.server_name());
        m_heartbeatIntervalMs = std::max(200, static_cast<int>(w.heartbeat_interval_ms()));
        m_staleAfterMs = static_cast<int>(w.stale_after_ms());
        m_lostAfterMs = static_cast<int>(w.lost_after_ms());
        m_role = static_cast<int>(w.role());
        m_leaseTtlMs = static_cast<int>(w.lease_ttl_ms());
        m_commandBudgetMs = static_cast<int>(w.command_budget_ms());
        m_heartbeatTimer.start(m_heartbeatIntervalMs);
        Q_EMIT stateChanged();
        return;
    }
    case fleet::v1::ServerMessage::kSnapshot: {
        m_model.applySnapshot(message.snapshot(), now);
        m_sequence = message.snapshot().sequence();
        m_awaitingSnapshot = false;
        m_attempt = 0;
        ++m_stats.snapshots;
        setLastError({});
        const bool wasLive = m_state == ConnectionState::Live;
        setState(ConnectionState::Live);
        // A new session starts as whole-fleet on the server: tell it what this console watches.
        if (!wasLive && !m_wholeFleet)
            sendSubscription();
        Q_EMIT sequenceChanged();
        Q_EMIT updated();
        return;
    }
    case fleet::v1::ServerMessage::kRefresh: {
        // Answers a Subscribe sent at sequence S; one that crossed a resync is superseded by the snapshot.
        if (m_awaitingSnapshot || message.refresh().sequence() != m_sequence)
            return;
        if (!m_model.applyRefresh(message.refresh(), now)) {
            requestResync(QStringLiteral("refresh names robots this console does not know"));
            return;
        }
        ++m_stats.refreshes;
        Q_EMIT updated();
        return;
    }
    case fleet::v1::ServerMessage::kDelta: {
        if (m_awaitingSnapshot)
            return;  // deltas in flight before the snapshot we asked for; it supersedes them
        const auto &delta = message.delta();
        if (delta.sequence() != m_sequence + 1) {
            requestResync(QStringLiteral("expected delta %1, got %2").arg(m_sequence + 1).arg(delta.sequence()));
            return;
        }
        if (!m_model.applyDelta(delta, now)) {
            requestResync(QStringLiteral("delta %1 names robots this console does not know").arg(delta.sequence()));
            return;
        }
        m_sequence = delta.sequence();
        ++m_stats.deltas;
        Q_EMIT sequenceChanged();
        Q_EMIT updated();
        return;
    }
    case fleet::v1::ServerMessage::kStatus: {
        const auto &status = message.status();
        QString problem;
        if (!status.kafka_reachable())
            problem = tr("The backend cannot reach the Kafka brokers: robot data is not updating.");
        else if (!status.state_rebuilt())
            problem = tr("The backend is still reading recent telemetry after a restart.");
        if (problem != m_upstreamProblem) {
            m_upstreamProblem = problem;
            Q_EMIT upstreamProblemChanged();
        }
        return;
    }
    case fleet::v1::ServerMessage::kLeaseTable:
    case fleet::v1::ServerMessage::kLeaseResult:
    case fleet::v1::ServerMessage::kTeleopResult:
    case fleet::v1::ServerMessage::kTeleopAck:
        if (m_teleopHandler)
            m_teleopHandler(message);
        return;
    case fleet::v1::ServerMessage::kTeleopEvent:
    case fleet::v1::ServerMessage::kTeleopHistory:
        if (m_teleopHistoryHandler)
            m_teleopHistoryHandler(message);
        return;
    case fleet::v1::ServerMessage::kInfra:
        if (m_infraHandler)
            m_infraHandler(message);
        return;
    case fleet::v1::ServerMessage::kAlerts:
    case fleet::v1::ServerMessage::kAcknowledgeResult:
        if (m_alertHandler)
            m_alertHandler(message);
        return;
    case fleet::v1::ServerMessage::kHeartbeat:
        return;
    case fleet::v1::ServerMessage::kGoodbye:
        setLastError(codec::toQString(message.goodbye().reason()));
        return;
    case fleet::v1::ServerMessage::KIND_NOT_SET:
        return;  // a newer server's message kind: ignored, as the protocol promises
    }
}

}  // namespace fleetdeck
