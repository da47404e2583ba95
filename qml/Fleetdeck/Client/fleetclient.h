#pragma once

#include "clock.h"
#include "robotmodel.h"
#include "transport.h"

#include <QObject>
#include <QTimer>
#include <QUrl>

#include <functional>

namespace google::protobuf {
class MessageLite;
}

namespace fleet::v1 {
class ClientMessage;
class ServerMessage;
}

namespace fleetdeck {

// The console's side of the fleet.v1 WebSocket protocol: handshake, snapshot then deltas into the
// RobotModel, resync on a sequence gap, application heartbeats both ways, and reconnection with
// exponential backoff. The one data path of every console (desktop, browser, wall).
// Thread: main.
class FleetClient : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QUrl url READ url WRITE setUrl NOTIFY urlChanged)
    Q_PROPERTY(ConnectionState state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString stateText READ stateText NOTIFY stateChanged)
    Q_PROPERTY(QString lastError READ lastError NOTIFY lastErrorChanged)
    Q_PROPERTY(int reconnectAttempt READ reconnectAttempt NOTIFY stateChanged)
    Q_PROPERTY(int reconnectDelayMs READ reconnectDelayMs NOTIFY stateChanged)
    Q_PROPERTY(QString serverName READ serverName NOTIFY stateChanged)
    Q_PROPERTY(fleetdeck::RobotModel *robots READ robots CONSTANT)
    Q_PROPERTY(quint64 sequence READ sequence NOTIFY sequenceChanged)
    Q_PROPERTY(int staleAfterMs READ staleAfterMs NOTIFY stateChanged)
    Q_PROPERTY(int lostAfterMs READ lostAfterMs NOTIFY stateChanged)
    // What the backend reports about what it depends on, in plain words; "" when all is well.
    Q_PROPERTY(QString upstreamProblem READ upstreamProblem NOTIFY upstreamProblemChanged)

public:
    enum class ConnectionState {
        Disconnected,   // no URL, or closed on purpose
        Connecting,     // opening the socket
        Synchronizing,  // open, waiting for a snapshot
        Live,           // snapshot applied, deltas flowing
        Reconnecting,   // lost; waiting before the next attempt
    };
    Q_ENUM(ConnectionState)

    struct Stats {
        quint64 framesReceived = 0;
        quint64 bytesReceived = 0;
        quint64 snapshots = 0;
        quint64 deltas = 0;
        quint64 gaps = 0;
        quint64 refreshes = 0;
    };

    FleetClient(Transport *transport, const Clock *clock, QObject *parent = nullptr);

    [[nodiscard]] QUrl url() const { return m_url; }
    // Connects to `url` (ws:// or wss://), dropping any current connection; an empty URL disconnects.
    void setUrl(const QUrl &url);
    Q_INVOKABLE void reconnectNow();

    // Full detail only for robots inside this box (and the followed robot); the rest arrive without
    // position, health and link changes. Sent to the backend now and after every reconnect.
    Q_INVOKABLE void watchViewport(double southDeg, double westDeg, double northDeg, double eastDeg);
    Q_INVOKABLE void watchWholeFleet();
    // The robot whose every change this console wants wherever it is (the selected one), or "".
    Q_INVOKABLE void setFollowedRobot(const QString &robotId);
    [[nodiscard]] bool watchesWholeFleet() const { return m_wholeFleet; }

    // For the teleoperation controller: sends one message on the live session (false when not live),
    // and hands on the teleop kinds of server message (lease table and results, command verdicts, acks).
    bool sendClientMessage(const fleet::v1::ClientMessage &message);
    void setTeleopHandler(std::function<void(const fleet::v1::ServerMessage &)> handler)
    {
        m_teleopHandler = std::move(handler);
    }
    // The audit trail as it happens (TeleopEvent) and, after each connect, its recent part (TeleopHistory).
    void setTeleopHistoryHandler(std::function<void(const fleet::v1::ServerMessage &)> handler)
    {
        m_teleopHistoryHandler = std::move(handler);
    }
    // Database, proxy and Kafka health (InfraUpdate): the history after each connect, then one point per interval.
    void setInfraHandler(std::function<void(const fleet::v1::ServerMessage &)> handler)
    {
        m_infraHandler = std::move(handler);
    }
    // Alerts (AlertUpdate: the full list after each connect, then changes) and acknowledgement results.
    void setAlertHandler(std::function<void(const fleet::v1::ServerMessage &)> handler)
    {
        m_alertHandler = std::move(handler);
    }
    // From the Welcome: the role the backend granted, the lease lifetime and the command budget.
    [[nodiscard]] int role() const { return m_role; }
    [[nodiscard]] int leaseTtlMs() const { return m_leaseTtlMs; }
    [[nodiscard]] int commandBudgetMs() const { return m_commandBudgetMs; }
    // Who sits at this console (Hello.operator_name); set before connecting.
    void setOperatorName(const QString &name) { m_operatorName = name; }
    void setReadOnly(bool readOnly) { m_readOnly = readOnly; }
    // The access token for Hello (backends in token mode refuse consoles without one); a token in the
    // URL (?token=, how browsers bring it) is seen by the backend without this. Never logged or shown.
    void setToken(const QString &token) { m_token = token; }

    [[nodiscard]] ConnectionState state() const { return m_state; }
    [[nodiscard]] QString stateText() const;
    [[nodiscard]] QString lastError() const { return m_lastError; }
    [[nodiscard]] int reconnectAttempt() const { return m_attempt; }
    [[nodiscard]] int reconnectDelayMs() const { return m_reconnectDelayMs; }
    [[nodiscard]] QString serverName() const { return m_serverName; }
    [[nodiscard]] RobotModel *robots() { return &m_model; }
    [[nodiscard]] quint64 sequence() const { return m_sequence; }
    [[nodiscard]] int staleAfterMs() const { return m_staleAfterMs; }
    [[nodiscard]] int lostAfterMs() const { return m_lostAfterMs; }
    [[nodiscard]] QString upstreamProblem() const { return m_upstreamProblem; }
    [[nodiscard]] const Stats &stats() const { return m_stats; }

    static constexpr int kInitialBackoffMs = 250;
    static constexpr int kMaxBackoffMs = 10'000;

Q_SIGNALS:
    void urlChanged();
    void stateChanged();
    void lastErrorChanged();
    void sequenceChanged();
    void upstreamProblemChanged();
    // After each snapshot or delta has been applied to the model.
    void updated();

private:
    void onOpened();
    void onClosed(const QString &reason);
    void onMessage(const QByteArray &bytes);
    void setState(ConnectionState state);
    void setLastError(const QString &error);
    void closeWithError(const QString &error);
    void send(const google::protobuf::MessageLite &message);
    void requestResync(const QString &why);
    void scheduleReconnect();
    void sendHeartbeat();
    void checkPeerAlive();
    void sendSubscription();

    Transport *m_transport;
    const Clock *m_clock;
    RobotModel m_model;
    QUrl m_url;
    ConnectionState m_state = ConnectionState::Disconnected;
    QString m_lastError;
    QString m_serverName;
    quint64 m_sequence = 0;
    bool m_awaitingSnapshot = true;
    bool m_closedWithError = false;
    int m_attempt = 0;
    int m_reconnectDelayMs = 0;
    int m_heartbeatIntervalMs = 2000;
    int m_staleAfterMs = 0;
    int m_lostAfterMs = 0;
    qint64 m_lastReceivedMs = 0;
    bool m_wholeFleet = true;
    double m_viewport[4] = {0, 0, 0, 0};  // south, west, north, east
    QString m_followedRobotId;
    bool m_followedKnownToServer = true;
    QString m_upstreamProblem;
    QString m_operatorName;
    bool m_readOnly = false;
    QString m_token;
    int m_role = 0;
    int m_leaseTtlMs = 0;
    int m_commandBudgetMs = 0;
    std::function<void(const fleet::v1::ServerMessage &)> m_teleopHandler;
    std::function<void(const fleet::v1::ServerMessage &)> m_teleopHistoryHandler;
    std::function<void(const fleet::v1::ServerMessage &)> m_infraHandler;
    std::function<void(const fleet::v1::ServerMessage &)> m_alertHandler;
    QTimer m_reconnectTimer;
    QTimer m_heartbeatTimer;
    Stats m_stats;
};

}  // namespace fleetdeck
