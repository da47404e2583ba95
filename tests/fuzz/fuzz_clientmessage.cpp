// What consoles send the backend, as hostile as a WebSocket peer can make it, through the backend's
// path: FleetServer's dispatch of ClientMessage frames (Hello, Heartbeat, Resync, Subscribe with its
// viewport and followed slots, AcquireLease, ReleaseLease, TeleopCommand) into the real TeleopRouter,
// LeaseManager and CommandGate on a ManualClock, with three consoles, robots' acks read from Kafka,
// the command path going down and the server's tick (lease expiry, timeouts, paused consoles).
//
// FleetServer has no entry point for bytes without a QWebSocket, and a socket pair costs far more
// than a fuzzer can spend per input, so Server below mirrors fleetserver.cpp's onBinaryMessage,
// handleHello, handleSubscribe, handleTeleop and the session half of tick(), statement for statement
// (a session closed by the server is gone at once here, where the real one waits for its socket).
// What decides whether a frame is acted on is the server's own code, not a copy: its rate limit
// (FleetServer::withinRate) and its validation of every field (FleetServer::invalidField).
// Keep the rest in step with fleetserver.cpp.
//
// Besides crashes, leaks and UB it checks what the teleop path promises: a drive command that reaches
// the command sink is finite and inside the speed limits, and every audit record is valid JSON.
//
// Input (see fuzzframes.h), one event per frame. Control byte: bits 0-1 which console (0-2) sends
// the frame, or 3 for a backend event chosen by the frame's first byte (see Server::event); bits 2-4
// a clock step before the frame; bit 5: a text frame instead of a binary one.
// Lease ids are 128 random bits no input can guess: a lease_id "#n" (n a digit) in ReleaseLease or
// TeleopCommand stands for the n-th newest lease the backend granted in this run.

#include "codec.h"
#include "commandgate.h"
#include "fleetserver.h"
#include "fleetstore.h"
#include "fuzzframes.h"
#include "leasemanager.h"
#include "teleoprouter.h"

#include <QJsonDocument>
#include <QLoggingCategory>

#include <google/protobuf/stubs/logging.h>
#include <QWebSocketProtocol>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>

namespace {

using namespace fleetdeck;

constexpr int kRobots = 6;
constexpr int kConsoles = 3;
// fleetserver.cpp's file-local constants.
constexpr int kMaxFollowedSlots = 64;

[[noreturn]] void fail(const char *what, const QString &detail = {})
{
    std::fprintf(stderr, "fuzz_clientmessage: %s %s\n", what, detail.toUtf8().constData());
    std::abort();
}

QString robotId(int i)
{
    return QStringLiteral("nb-%1").arg(i + 1, 4, 10, QLatin1Char('0'));
}

FleetServer::Settings settings()
{
    FleetServer::Settings s;
    s.adminOperators = {QStringLiteral("admin")};
    s.maxPendingBytes = 16 << 10;  // small, so that a few resyncs reach the pause
    return s;
}

class Server
{
public:
    Server()
        : m_settings(settings()),
          m_store(m_settings.freshness),
          m_leases(m_clock, {m_settings.leaseTtlMs}),
          m_gate(m_leases, m_clock, gateConfig()),
          m_router(&m_leases, &m_gate, &m_clock,
                   {[this](quint64 id, const fleet::v1::ServerMessage &m) { sendToConsole(id, m); },
                    [this](const fleet::v1::ServerMessage &m) { broadcast(codec::serialize(m)); }},
                   [this](const fleet::v1::Command &c) { return commandSink(c); },
                   [](const QByteArray &json) { checkAudit(json); })
    {
        for (int i = 0; i < kRobots; ++i) {
            RobotState robot;
            robot.robotId = robotId(i);
            robot.latDeg = 59.43 + 0.01 * i;
            robot.lonDeg = 24.75 + 0.01 * i;
            robot.sequence = 1;
            robot.sampleTimeUnixMs = m_clock.nowUnixMs();
            (void)m_store.apply(robot, m_clock.nowUnixMs());
        }
        (void)m_store.takeChanges();
        ++m_sequence;
    }

    void frame(const fuzz::Frame &frame)
    {
        m_clock.advance(fuzz::kClockSteps[(frame.control >> 2) & 7]);
        const int console = frame.control & 3;
        if (console == 3) {
            event(frame.bytes);
            return;
        }
        Session &session = m_sessions[std::size_t(console)];
        if (!session.connected)
            connect(&session);
        // A frame over maxClientFrameBytes never reaches the server (QWebSocket refuses it); a u16
        // length cannot make one.
        if (frame.control & 0x20)
            closeSession(&session, QStringLiteral("text frames are not part of the protocol"),
                         QWebSocketProtocol::CloseCodeDatatypeNotSupported);
        else
            onBinaryMessage(&session, frame.bytes);
    }

private:
    struct Session {
        enum class Phase { AwaitingHello, Live, Paused };

        bool connected = false;
        Phase phase = Phase::AwaitingHello;
        qint64 connectedMs = 0;
        qint64 lastReceivedMs = 0;
        qint64 lastSentMs = 0;
        qint64 pendingBytes = 0;
        QString peer;
        QString clientName;
        quint64 id = 0;
        QString operatorName;
        teleop::Role role = teleop::Role::Viewer;
        bool wholeFleet = true;
        double southDeg = 0, westDeg = 0, northDeg = 0, eastDeg = 0;
        std::vector<std::uint32_t> followedSlots;
        double bucket = 0;
        qint64 bucketRefilledMs = 0;
        qint64 pausedSinceMs = 0;
    };

    static teleop::CommandGate::Config gateConfig()
    {
        teleop::CommandGate::Config config;
        config.budgetMs = 250;
        return config;
    }

    // Things that happen to the backend other than a console's frame; `bytes[0]` picks one.
    void event(const QByteArray &bytes)
    {
        const int kind = bytes.isEmpty() ? 0 : std::uint8_t(bytes[0]) % 6;
        const int argument = bytes.size() > 1 ? std::uint8_t(bytes[1]) : 0;
        switch (kind) {
        case 0:  // a console's socket disconnects
            removeSession(&m_sessions[std::size_t(argument % kConsoles)]);
            break;
        case 1:  // Kafka stops (or starts again) taking commands
            m_router.setCommandPathUp(!m_gate.isCommandPathUp());
            break;
        case 2: {  // a robot's acknowledgement read from the command-ack topic (teleopservice.cpp)
            fleet::v1::CommandAck ack;
            const QByteArray payload = bytes.mid(1);
            if (ack.ParseFromArray(payload.constData(), int(payload.size())))
                m_router.acknowledged(ack);
            break;
        }
        case 3:  // the Kafka producer's queue is full
            m_sinkFails = !m_sinkFails;
            break;
        case 4:
            tick();
            break;
        case 5:  // a console's socket writes out what was queued
            m_sessions[std::size_t(argument % kConsoles)].pendingBytes = 0;
            break;
        }
    }

    void connect(Session *session)
    {
        *session = Session();
        session->connected = true;
        session->id = m_nextSessionId++;
        session->connectedMs = session->lastReceivedMs = session->lastSentMs = m_clock.nowUnixMs();
        session->bucket = m_settings.clientMessageBurst;
        session->bucketRefilledMs = session->connectedMs;
        session->peer = QStringLiteral("127.0.0.1:%1").arg(40000 + session->id);
    }

    void removeSession(Session *session)
    {
        if (!session->connected)
            return;
        session->connected = false;
        m_router.consoleGone(session->id);
    }

    void closeSession(Session *session, const QString &reason, int /*closeCode*/)
    {
        fleet::v1::ServerMessage goodbye;
        goodbye.mutable_goodbye()->set_reason(codec::toStd(reason));
        (void)codec::serialize(goodbye);
        removeSession(session);
    }

    // FleetServer::onBinaryMessage
    void onBinaryMessage(Session *session, const QByteArray &bytes)
    {
        const qint64 now = m_clock.nowUnixMs();
        session->lastReceivedMs = now;
        if (!FleetServer::withinRate(m_settings, &session->bucket, &session->bucketRefilledMs, now)) {
            ++m_clientsClosedForBadInput;
            closeSession(session, QStringLiteral("too many messages"), QWebSocketProtocol::CloseCodePolicyViolated);
            return;
        }
        fleet::v1::ClientMessage message;
        if (!codec::parse(bytes, &message) || message.kind_case() == fleet::v1::ClientMessage::KIND_NOT_SET) {
            ++m_clientsClosedForBadInput;
            closeSession(session, QStringLiteral("malformed frame: not a fleet.v1.ClientMessage"),
                         QWebSocketProtocol::CloseCodeProtocolError);
            return;
        }
        resolveLeaseIds(&message);
        if (const QString why = FleetServer::invalidField(message); !why.isEmpty()) {
            ++m_clientsClosedForBadInput;
            closeSession(session, why, QWebSocketProtocol::CloseCodeProtocolError);
            return;
        }
        checkValidated(message);
        if (session->phase == Session::Phase::AwaitingHello) {
            if (message.kind_case() != fleet::v1::ClientMessage::kHello) {
                closeSession(session, QStringLiteral("the first message must be Hello"),
                             QWebSocketProtocol::CloseCodeProtocolError);
                return;
            }
            handleHello(session, message);
            return;
        }
        switch (message.kind_case()) {
        case fleet::v1::ClientMessage::kHello:
            closeSession(session, QStringLiteral("Hello sent twice"), QWebSocketProtocol::CloseCodeProtocolError);
            return;
        case fleet::v1::ClientMessage::kHeartbeat:
            return;
        case fleet::v1::ClientMessage::kResync:
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
        case fleet::v1::ClientMessage::kAcknowledgeAlert:
            // FleetServer refuses viewers and hands the id to the AlertEngine (unit-tested on its own);
            // here only the refusal path and the reply's encoding.
            {
                fleet::v1::ServerMessage reply;
                reply.mutable_acknowledge_result()->set_alert_id(message.acknowledge_alert().alert_id());
                reply.mutable_acknowledge_result()->set_ok(false);
                (void)codec::serialize(reply);
            }
            return;
        case fleet::v1::ClientMessage::KIND_NOT_SET:
            return;
        }
    }

    // The harness's one liberty with the input: see the file comment.
    void resolveLeaseIds(fleet::v1::ClientMessage *message) const
    {
        const auto resolve = [this](std::string *leaseId) {
            if (leaseId->size() == 2 && (*leaseId)[0] == '#' && (*leaseId)[1] >= '0' && (*leaseId)[1] <= '9') {
                const auto n = std::size_t((*leaseId)[1] - '0');
                if (n < m_granted.size())
                    *leaseId = m_granted[m_granted.size() - 1 - n];
            }
        };
        if (message->has_teleop())
            resolve(message->mutable_teleop()->mutable_lease_id());
        else if (message->has_release_lease())
            resolve(message->mutable_release_lease()->mutable_lease_id());
    }

    // FleetServer::handleHello
    void handleHello(Session *session, const fleet::v1::ClientMessage &message)
    {
        const auto &hello = message.hello();
        if (hello.protocol_version() != fleet::v1::PROTOCOL_VERSION_1) {
            closeSession(session,
                         QStringLiteral("unsupported protocol version %1; this server speaks 1").arg(hello.protocol_version()),
                         QWebSocketProtocol::CloseCodePolicyViolated);
            return;
        }
        session->clientName = codec::toQString(hello.client_name()).left(80);
        session->operatorName = codec::toQString(hello.operator_name()).left(64);
        if (session->operatorName.isEmpty())
            session->operatorName = session->peer;
        session->role = hello.read_only() ? teleop::Role::Viewer
            : m_settings.adminOperators.contains(session->operatorName) ? teleop::Role::Admin
                                                                         : teleop::Role::Operator;
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
        fleet::v1::ServerMessage status;
        status.mutable_status()->set_kafka_reachable(true);
        status.mutable_status()->set_state_rebuilt(true);
        sendTo(session, codec::serialize(status));
        sendSnapshot(session);
        sendTo(session, codec::serialize(m_router.leaseTable()));
        sendTo(session, codec::serialize(m_router.recentHistory()));
    }

    // FleetServer::handleTeleop
    void handleTeleop(Session *session, const fleet::v1::ClientMessage &message)
    {
        const std::string &robotId = message.kind_case() == fleet::v1::ClientMessage::kAcquireLease
            ? message.acquire_lease().robot_id()
            : message.kind_case() == fleet::v1::ClientMessage::kTeleop ? message.teleop().robot_id() : std::string();
        if (message.kind_case() != fleet::v1::ClientMessage::kReleaseLease
            && !m_store.slotOf(codec::toQString(robotId.substr(0, 256)))) {
            fleet::v1::ServerMessage refusal;
            auto *result = refusal.mutable_teleop_result();
            result->set_robot_id(robotId.substr(0, 256));
            result->set_reason("no such robot");
            sendTo(session, codec::serialize(refusal));
            return;
        }
        const TeleopRouter::Console console{session->id, session->operatorName, session->role};
        switch (message.kind_case()) {
        case fleet::v1::ClientMessage::kAcquireLease: m_router.acquire(console, message.acquire_lease()); break;
        case fleet::v1::ClientMessage::kReleaseLease: m_router.release(console, message.release_lease()); break;
        case fleet::v1::ClientMessage::kTeleop: m_router.command(console, message.teleop()); break;
        default: break;
        }
    }

    // FleetServer::handleSubscribe
    void handleSubscribe(Session *session, const fleet::v1::ClientMessage &message)
    {
        const auto &s = message.subscribe();  // checked by FleetServer::invalidField()
        session->wholeFleet = s.whole_fleet();
        session->southDeg = s.south_deg();
        session->westDeg = s.west_deg();
        session->northDeg = s.north_deg();
        session->eastDeg = s.east_deg();
        session->followedSlots.assign(s.followed_slots().begin(), s.followed_slots().end());
        // The debug line's arguments, evaluated whether or not the category is on.
        (void)(s.whole_fleet() ? QStringLiteral("the whole fleet")
                               : QStringLiteral("%1,%2 – %3,%4 and %5 followed")
                                     .arg(s.south_deg()).arg(s.west_deg()).arg(s.north_deg())
                                     .arg(s.east_deg()).arg(s.followed_slots_size()));
        (void)(s.followed_slots_size() > 0 && s.followed_slots(0) < m_store.size() ? m_store.robot(s.followed_slots(0)).robotId
                                                                                  : QString());
        if (session->phase != Session::Phase::Live)
            return;
        if (session->pendingBytes > m_settings.maxPendingBytes / 4) {
            pause(session);
            return;
        }
        fleet::v1::ServerMessage reply;
        auto *refresh = reply.mutable_refresh();
        refresh->set_sequence(m_sequence);
        refresh->set_server_time_unix_ms(m_clock.nowUnixMs());
        for (std::uint32_t slot = 0; slot < m_store.size(); ++slot) {
            if (sees(*session, slot))
                codec::writeRobotState(m_store.robot(slot), slot, FieldGroup::All, refresh->add_robots());
        }
        sendTo(session, codec::serialize(reply));
    }

    [[nodiscard]] static bool inViewport(const Session &session, double latDeg, double lonDeg)
    {
        return latDeg >= session.southDeg && latDeg <= session.northDeg && lonDeg >= session.westDeg
            && lonDeg <= session.eastDeg;
    }

    [[nodiscard]] bool sees(const Session &session, std::uint32_t slot) const
    {
        if (session.wholeFleet)
            return true;
        const RobotState &robot = m_store.robot(slot);
        if (inViewport(session, robot.latDeg, robot.lonDeg))
            return true;
        return std::find(session.followedSlots.begin(), session.followedSlots.end(), slot) != session.followedSlots.end();
    }

    void sendSnapshot(Session *session)
    {
        fleet::v1::ServerMessage message;
        auto *snapshot = message.mutable_snapshot();
        snapshot->set_sequence(m_sequence);
        snapshot->set_server_time_unix_ms(m_clock.nowUnixMs());
        for (std::uint32_t slot = 0; slot < m_store.size(); ++slot)
            codec::writeRobotState(m_store.robot(slot), slot, FieldGroup::All, snapshot->add_robots());
        sendTo(session, codec::serialize(message));
        session->phase = Session::Phase::Live;
    }

    void pause(Session *session)
    {
        if (session->phase != Session::Phase::Paused)
            session->pausedSinceMs = m_clock.nowUnixMs();
        session->phase = Session::Phase::Paused;
    }

    // What FleetServer::invalidField() lets through must be safe for what comes after it: a viewport
    // on the globe, few followed robots, finite speeds within plausibility, short ids.
    static void checkValidated(const fleet::v1::ClientMessage &message)
    {
        if (message.has_subscribe()) {
            const auto &s = message.subscribe();
            if (s.followed_slots_size() > kMaxFollowedSlots)
                fail("invalidField() let through a Subscribe following too many robots");
            if (!s.whole_fleet()
                && (!(s.south_deg() <= s.north_deg()) || !(s.west_deg() <= s.east_deg()) || !(std::abs(s.south_deg()) <= 90)
                    || !(std::abs(s.north_deg()) <= 90) || !(std::abs(s.west_deg()) <= 180) || !(std::abs(s.east_deg()) <= 180)))
                fail("invalidField() let through a viewport off the globe");
        } else if (message.has_teleop()) {
            const auto &t = message.teleop();
            if (!std::isfinite(t.linear_mps()) || !std::isfinite(t.angular_dps()) || std::abs(t.linear_mps()) > 20
                || std::abs(t.angular_dps()) > 3600 || t.robot_id().size() > 128 || t.lease_id().size() > 128)
                fail("invalidField() let through a teleop command out of range");
        }
    }

    void sendTo(Session *session, const QByteArray &bytes)
    {
        session->pendingBytes += bytes.size();
        session->lastSentMs = m_clock.nowUnixMs();
    }

    // FleetServer::sendToConsole, noting the lease ids granted for resolveLeaseIds().
    void sendToConsole(quint64 sessionId, const fleet::v1::ServerMessage &message)
    {
        if (message.has_lease_result() && message.lease_result().granted()) {
            m_granted.push_back(message.lease_result().lease().lease_id());
            if (m_granted.size() > 10)
                m_granted.pop_front();
        }
        for (Session &session : m_sessions) {
            if (session.connected && session.id == sessionId && session.phase != Session::Phase::AwaitingHello) {
                sendTo(&session, codec::serialize(message));
                return;
            }
        }
    }

    void broadcast(const QByteArray &bytes)
    {
        for (Session &session : m_sessions) {
            if (session.connected && session.phase != Session::Phase::AwaitingHello)
                sendTo(&session, bytes);
        }
    }

    bool commandSink(const fleet::v1::Command &command) const
    {
        if (command.has_drive()) {
            const teleop::SpeedLimits limits = m_gate.limitsFor(codec::toQString(command.robot_id()));
            const double linear = command.drive().linear_mps();
            const double angular = command.drive().angular_dps();
            // float on the wire: the limits compared at float precision
            if (!std::isfinite(linear) || !std::isfinite(angular) || linear < float(limits.minLinearMps)
                || linear > float(limits.maxLinearMps) || std::abs(angular) > float(limits.maxAngularDps))
                fail("a drive command outside the speed limits reached the command sink");
        }
        return !m_sinkFails;
    }

    static void checkAudit(const QByteArray &json)
    {
        QJsonParseError error;
        if (!QJsonDocument::fromJson(json, &error).isObject())
            fail("an audit record is not a JSON object:", error.errorString());
    }

    // The session half of FleetServer::tick: paused consoles, heartbeats, timeouts, lease expiry.
    void tick()
    {
        const qint64 now = m_clock.nowUnixMs();
        for (Session &session : m_sessions) {
            if (!session.connected)
                continue;
            if (session.phase == Session::Phase::Paused && session.pendingBytes < m_settings.maxPendingBytes / 4)
                sendSnapshot(&session);
            if (session.phase != Session::Phase::AwaitingHello && now - session.lastSentMs >= m_settings.heartbeatIntervalMs) {
                fleet::v1::ServerMessage heartbeat;
                heartbeat.mutable_heartbeat()->set_sent_unix_ms(now);
                sendTo(&session, codec::serialize(heartbeat));
            }
        }
        for (Session &session : m_sessions) {
            if (session.connected && session.phase == Session::Phase::Paused && now - session.pausedSinceMs > m_settings.maxPausedMs)
                closeSession(&session, QStringLiteral("not reading"), QWebSocketProtocol::CloseCodePolicyViolated);
        }
        for (Session &session : m_sessions) {
            if (!session.connected)
                continue;
            if ((session.phase == Session::Phase::AwaitingHello && now - session.connectedMs > m_settings.helloTimeoutMs)
                || now - session.lastReceivedMs > m_settings.peerTimeoutMs)
                closeSession(&session, QStringLiteral("no message from the console for too long"),
                             QWebSocketProtocol::CloseCodeGoingAway);
        }
        m_router.expireLeases();
        (void)m_router.roundTripP99Ms(60'000);
    }

    ManualClock m_clock{fuzz::kStartUnixMs};
    FleetServer::Settings m_settings;
    FleetStore m_store;
    teleop::LeaseManager m_leases;
    teleop::CommandGate m_gate;
    TeleopRouter m_router;
    std::array<Session, kConsoles> m_sessions;
    std::deque<std::string> m_granted;  // newest last
    quint64 m_nextSessionId = 1;
    quint64 m_sequence = 0;
    quint64 m_clientsClosedForBadInput = 0;
    bool m_sinkFails = false;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    // The same input must take the same path: QHash iteration order decides which lease ends first.
    qputenv("QT_HASH_SEED", "0");
    // Every lease and command is audited at info level; a fuzzer makes thousands per second.
    QLoggingCategory::setFilterRules(QStringLiteral("fleetdeck.*=false"));
    // libprotobuf logs every string field of invalid UTF-8 at ERROR, unconditionally (see the report
    // of issue #9): at fuzzing rates that is most of the run's time.
    google::protobuf::SetLogHandler(nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    Server server;
    fuzz::FrameReader reader(data, size);
    fuzz::Frame frame;
    while (reader.next(&frame))
        server.frame(frame);
    return 0;
}
