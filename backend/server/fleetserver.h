#pragma once

#include "clock.h"
#include "fleetstore.h"
#include "histogram.h"
#include "httpfrontend.h"
#include "logging.h"
#include "telemetrymailbox.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

class QWebSocket;
class QWebSocketServer;

namespace fleet::v1 {
class ClientMessage;
class ServerMessage;
}

namespace fleetdeck {

class Authenticator;
class PrometheusText;

// Serves the fleet state to consoles over WebSocket (binary fleet.v1 messages, see console.proto).
// Each tick it drains the telemetry mailbox into the store, derives freshness, encodes ONE delta of
// what changed and sends those same bytes to every live session. A session whose unsent bytes pass
// a limit gets no deltas until it drains, then a fresh snapshot: never an unbounded queue.
// Every frame is checked before it is acted on (size, rate, every field, the sender's role): a
// console that breaks the protocol is closed with a reason; the others never notice.
// Thread: main.
class FleetServer : public QObject
{
    Q_OBJECT

public:
    struct Settings {
        int tickIntervalMs = 100;
        int heartbeatIntervalMs = 2000;
        int peerTimeoutMs = 10'000;        // close a client silent this long (it heartbeats)
        int helloTimeoutMs = 5000;
        qint64 maxPendingBytes = 8 << 20;  // per session, before deltas stop
        // A paused console that drains nothing for this long is closed: it would hold up to
        // maxPendingBytes for as long as it lives, and a reconnect brings it a snapshot anyway.
        int maxPausedMs = 30'000;
        qint64 maxClientFrameBytes = 64 << 10;
        // Per console, a token bucket: past the burst, more than this many messages a second close it.
        // A console sends about 25 a second while driving.
        int clientMessagesPerSecond = 200;
        int clientMessageBurst = 400;
        FleetStore::FreshnessPolicy freshness;
        QString serverName = QStringLiteral("fleetdeckd");
        // Without an authenticator (auth.mode = open): operators named here may take over leases, by
        // the name the console states. With one, the token says who is who and this is not used.
        QStringList adminOperators;
        int leaseTtlMs = 3000;
        int commandBudgetMs = 250;
    };

    struct Stats {
        quint64 ticks = 0;
        quint64 deltasEncoded = 0;
        quint64 framesSent = 0;
        quint64 bytesSent = 0;
        quint64 snapshotsSent = 0;
        quint64 deltasSkippedForSlowClients = 0;
        quint64 clientsClosedForBadInput = 0;
        quint64 clientsClosedForRate = 0;
        quint64 clientsRefusedUnauthenticated = 0;
        quint64 clientsClosedForToken = 0;  // revoked, expired or changed while connected
        quint64 clientsClosedForNotReading = 0;
        quint64 samplesApplied = 0;
        quint64 samplesOutOfOrder = 0;
        quint64 filteredDeltasSent = 0;
    };

    FleetServer(Settings settings, TelemetryMailbox *mailbox, const Clock *clock, QObject *parent = nullptr);
    ~FleetServer() override;

    // Listens on `address`:`port` (0 picks a free port) for WebSocket consoles and the HTTP routes.
    [[nodiscard]] bool listen(const QHostAddress &address, quint16 port, QString *error);
    [[nodiscard]] quint16 port() const;
    // Before listen(): serve wss:// and https:// only, with this certificate and key.
    void setTlsConfiguration(const QSslConfiguration &configuration) { m_http.setTlsConfiguration(configuration); }
    [[nodiscard]] bool isTls() const { return m_http.isTls(); }
    // Every console must then present a token (Hello.token, or ?token= in the URL for browsers): its
    // name and role decide who the console is; none, unknown or expired: a Goodbye and nothing else.
    // Sessions whose token is revoked (at a reload) or expires are closed. Null: open mode, where
    // consoles are who they say they are. Must outlive the server.
    void setAuthenticator(const Authenticator *authenticator);
    // Why a message breaks the protocol (a field out of range, too long, not UTF-8, an unknown enum
    // value), or empty: the checks every frame passes before it is acted on.
    [[nodiscard]] static QString invalidField(const fleet::v1::ClientMessage &message);
    // A console's message rate limit: takes one message from its token bucket (`bucket` messages left
    // when last refilled at `refilledMs`), false when it is empty.
    [[nodiscard]] static bool withinRate(const Settings &settings, double *bucket, qint64 *refilledMs, qint64 nowMs);
    // Serves GET `path` on the same port (operations endpoints).
    void addHttpRoute(const QByteArray &path, HttpFrontend::Route route);
    // Serves GET of every other path (the browser console's files, StaticFiles::serve).
    void setHttpFallbackRoute(HttpFrontend::Route route) { m_http.setFallbackRoute(std::move(route)); }
    // Starts the periodic tick; tests may instead call tick() by hand with an injected clock.
    void startTicking();

    // Routes consoles' lease and teleop requests; null: teleoperation is off and refused.
    void setTeleopRouter(class TeleopRouter *router);
    // Sent at once, not at the next tick: what teleoperation says cannot wait behind bulk deltas.
    void sendToConsole(quint64 sessionId, const fleet::v1::ServerMessage &message);
    void broadcastToConsoles(const fleet::v1::ServerMessage &message);
    // The same, already encoded (once, for every console).
    void broadcastEncoded(const QByteArray &bytes);
    // A message every console gets once after its snapshot, from the part that owns it (the
    // infrastructure history, …); called per joining console, so it should reuse its encoding.
    using Greeting = std::function<QByteArray()>;
    void addGreeting(Greeting greeting) { m_greetings.push_back(std::move(greeting)); }
    // Acknowledges an alert for `operatorName` (the server has checked the console may); false with
    // a reason when the alert cannot be acknowledged.
    using AcknowledgeHandler = std::function<bool(const QString &operatorName, std::uint64_t alertId, QString *reason)>;
    void setAcknowledgeHandler(AcknowledgeHandler handler) { m_acknowledge = std::move(handler); }

    // What the backend depends on, as consoles should show it; sent to every console when it changes.
    void setUpstreamStatus(bool kafkaReachable, bool stateRebuilt);

    // Tells every console why it is being disconnected and closes its session (graceful shutdown).
    void closeAllSessions(const QString &reason);

    // One round: mailbox -> store -> freshness -> one delta -> every live session.
    void tick();

    [[nodiscard]] const FleetStore &store() const { return m_store; }
    [[nodiscard]] const Stats &stats() const { return m_stats; }
    // Wall time of each tick, in seconds.
    [[nodiscard]] const Histogram &tickDuration() const { return m_tickDuration; }
    // Bytes handed to sockets but not yet written, over all sessions.
    [[nodiscard]] qint64 pendingBytes() const;
    // Appends this server's metrics to a Prometheus exposition.
    void writeMetrics(PrometheusText *out) const;
    [[nodiscard]] quint64 sequence() const { return m_sequence; }
    [[nodiscard]] int sessionCount() const { return static_cast<int>(m_sessions.size()); }
    [[nodiscard]] const Settings &settings() const { return m_settings; }

Q_SIGNALS:
    void sessionCountChanged(int count);
    void ticked();

private:
    struct Session;

    void onNewConnection();
    void onBinaryMessage(Session *session, const QByteArray &bytes);
    void handleHello(Session *session, const fleet::v1::ClientMessage &message);
    void handleSubscribe(Session *session, const fleet::v1::ClientMessage &message);
    void handleTeleop(Session *session, const fleet::v1::ClientMessage &message);
    // One delta for a session that watches a viewport, assembled from entries encoded once per tick.
    [[nodiscard]] QByteArray assembleFilteredDelta(const Session &session, const QByteArray &header,
                                                   const std::vector<FleetStore::Change> &changes,
                                                   const std::vector<QByteArray> &fullEntries,
                                                   const std::vector<QByteArray> &reducedEntries) const;
    [[nodiscard]] bool sees(const Session &session, std::uint32_t slot) const;
    [[nodiscard]] static bool inViewport(const Session &session, double latDeg, double lonDeg);
    void closeSession(Session *session, const QString &reason, int closeCode);
    // Closes a console for what it sent, counted and logged at a limited rate.
    void closeForBadInput(Session *session, const QString &reason, int closeCode);
    // After a token reload: sessions whose token is gone, expired or changed are closed.
    void recheckTokens();
    void removeSession(QWebSocket *socket);
    void sendTo(Session *session, const QByteArray &bytes);
    void sendSnapshot(Session *session);
    // No deltas until it drains; closed if it stays paused past maxPausedMs.
    void pause(Session *session);
    [[nodiscard]] QByteArray encodeStatus() const;
    void checkTimeouts(qint64 nowMs);
    [[nodiscard]] QByteArray encodeSnapshot();
    [[nodiscard]] Session *sessionFor(QWebSocket *socket) const;

    Settings m_settings;
    TelemetryMailbox *m_mailbox;
    const Clock *m_clock;
    FleetStore m_store;
    std::unique_ptr<QWebSocketServer> m_server;
    HttpFrontend m_http;
    std::vector<std::unique_ptr<Session>> m_sessions;
    QTimer m_tickTimer;
    quint64 m_sequence = 0;
    class TeleopRouter *m_teleop = nullptr;
    std::vector<Greeting> m_greetings;
    AcknowledgeHandler m_acknowledge;
    quint64 m_nextSessionId = 1;
    bool m_kafkaReachable = true;
    bool m_stateRebuilt = true;
    QByteArray m_snapshotBytes;  // encoded at m_snapshotSequence, reused by clients joining in one tick
    quint64 m_snapshotSequence = ~quint64(0);
    Stats m_stats;
    Histogram m_tickDuration{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25}};
    RateLimitedLog m_badInputLog;
    RateLimitedLog m_authLog;
    const Authenticator *m_auth = nullptr;
};

}  // namespace fleetdeck
