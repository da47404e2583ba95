#pragma once

#include "clock.h"
#include "commandgate.h"
#include "leasemanager.h"
#include "leasetable.h"
#include "tracecontext.h"

#include "fleet/v1/console.pb.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QStringList>

#include <deque>
#include <functional>
#include <optional>

namespace fleetdeck {

// Teleoperation between consoles and robots: leases, the command gate, explicit stops when a lease
// ends, the robots' acknowledgements back to the console that sent the command, and the audit trail.
// It knows nothing of sockets or Kafka: the WebSocket server hands it what consoles say and gives it
// an outbox; the composition root gives it a command sink (the Kafka producer) and an audit sink.
//
// With a lease log (setLeaseLog), several replicas share one set of leases: taking control produces
// a Claim and is granted only when the claim, read back from the log, won in the replicated
// LeaseTable; renewals and ends are logged too, and commands pass only on leases the table says this
// replica holds. The local LeaseManager then keeps what only the holding replica needs (sequences,
// driving statistics, its own TTL). Without a lease log, leases are this process's alone.
// Thread: main.
class TeleopRouter : public QObject
{
    Q_OBJECT

public:
    // Who sent a request: the session, as the server authenticated it.
    struct Console {
        quint64 sessionId = 0;
        QString operatorName;
        teleop::Role role = teleop::Role::Viewer;
    };

    struct Outbox {
        std::function<void(quint64 sessionId, const fleet::v1::ServerMessage &)> sendTo;
        std::function<void(const fleet::v1::ServerMessage &)> broadcast;
    };
    // False when the command could not even be queued for Kafka: it is then reported as refused.
    using CommandSink = std::function<bool(const fleet::v1::Command &)>;
    // One JSON object per audit event, for the audit topic and the log.
    using AuditSink = std::function<void(const QByteArray &json)>;

    // The shared lease log: who this replica is, and how to append a record (false when it could not
    // even be queued).
    struct LeaseLog {
        QString replicaId;
        std::function<bool(const teleop::LeaseRecord &)> produce;
    };

    TeleopRouter(teleop::LeaseManager *leases, teleop::CommandGate *gate, const Clock *clock, Outbox outbox,
                 CommandSink commands, AuditSink audit, QObject *parent = nullptr);

    void setLeaseLog(LeaseLog log);
    // Finished spans of teleop commands go here (an OTLP exporter); none when unset. Every command
    // is traced under the traceparent its console sent (a new trace when it sent none or a bad one),
    // and the command produced for the robot carries the context of its publish span.
    void setSpanSink(SpanSink sink) { m_spans = std::move(sink); }
    // A record read back from the lease log, in log order, this replica's own included.
    void applyLeaseRecord(const teleop::LeaseRecord &record);
    // While the lease log cannot be reached, taking control is refused at once, never queued.
    void setLeaseLogUp(bool up) { m_leaseLogUp = up; }
    [[nodiscard]] const teleop::LeaseTable &sharedLeases() const { return m_table; }

    void acquire(const Console &console, const fleet::v1::AcquireLease &request);
    void release(const Console &console, const fleet::v1::ReleaseLease &request);
    void command(const Console &console, const fleet::v1::TeleopCommand &request);
    // A console that vanished: its leases end now and their robots are told to stop.
    void consoleGone(quint64 sessionId);
    // A robot's acknowledgement, read from Kafka.
    void acknowledged(const fleet::v1::CommandAck &ack);
    // Shutting down: every lease ends and every driven robot is told to stop.
    void endAllLeases(const QString &why);
    // Ends leases that were not renewed in time; called from the server's tick.
    void expireLeases();
    // While Kafka cannot take commands, every teleop request is refused at once, never queued.
    void setCommandPathUp(bool up);

    // Who drives what, as every console sees it (lease ids stay with their holders).
    [[nodiscard]] fleet::v1::ServerMessage leaseTable() const;
    // The recent audit trail (oldest first), for a console that just joined.
    [[nodiscard]] fleet::v1::ServerMessage recentHistory() const;

    // Backend-measured round trips (command queued for Kafka → the robot's ack read back) of the last
    // `windowMs`: the p99 in ms, NaN when nothing was driven. For the infrastructure view's time axis.
    [[nodiscard]] double roundTripP99Ms(std::int64_t windowMs) const;

    // Enough for a robot's recent sessions on a busy day, small enough to send to every new console.
    static constexpr std::size_t kHistoryLength = 256;

private:
    struct Sent {
        quint64 sessionId = 0;
        QString leaseId;
        std::int64_t issuedUnixMs = 0;
        // The publish span (queued for Kafka → the robot's ack read back), ended by the ack.
        TraceContext publish;
        QByteArray publishParentSpanId;
        QString robotId;
    };

    // A claim produced to the lease log and not yet read back.
    struct PendingClaim {
        Console console;
        QString robotId;
        bool takeover = false;
        QString reason;
        std::int64_t madeUnixMs = 0;
        bool abandoned = false;  // its console left or stopped waiting: release it if it wins
    };

    void acquireThroughLog(const Console &console, const fleet::v1::AcquireLease &request);
    void grantClaim(const PendingClaim &claim, const QString &leaseId);
    void granted(const Console &console, const teleop::Lease &lease, bool takeover, const std::string &reason);
    void sharedLeaseEnded(const teleop::SharedLease &ended, const QString &why, const teleop::LeaseRecord &by);
    void renewShared(const teleop::Lease &lease, bool force);
    void produceRelease(const QString &robotId, const QString &leaseId, const QString &why);
    void expireShared();
    void endLease(const teleop::Lease &lease, const QString &why);
    void sendStop(const teleop::Lease &ended);
    void broadcastLeaseTable();
    // One audit event: to the log and the audit sink as JSON, to every console as a TeleopEvent.
    // `traceId` (of the console's control session or command) lets the record be joined to the trace.
    void audit(fleet::v1::TeleopEvent event, const QByteArray &traceId = {});
    void exportSpan(Span span) const;
    // The publish span of a command whose ack came back (`ack`) or never did (null).
    void endPublishSpan(const Sent &sent, const fleet::v1::CommandAck *ack) const;
    [[nodiscard]] static QString sentKey(const QString &robotId, std::uint64_t sequence);

    teleop::LeaseManager *m_leases;
    teleop::CommandGate *m_gate;
    const Clock *m_clock;
    Outbox m_outbox;
    CommandSink m_commands;
    AuditSink m_audit;
    QHash<QString, quint64> m_sessionByLease;   // lease id -> session that holds it
    QHash<QString, QString> m_operatorByLease;  // lease id -> operator name, for the audit record
    QHash<QString, Sent> m_sent;                // robot id + sequence -> who sent it, for acks
    std::deque<fleet::v1::TeleopEvent> m_history;  // the last kHistoryLength audit events
    std::deque<std::pair<std::int64_t, std::int64_t>> m_roundTrips;  // (ack time, round trip ms), last minute

    SpanSink m_spans;
    // The trace of each console's latest lease request (robot id, context) until it is granted, and of
    // each live lease: lease events and the backend's own stop join the operator's session.
    QHash<quint64, QPair<QString, TraceContext>> m_requestedTrace;
    QHash<QString, TraceContext> m_traceByLease;

    std::optional<LeaseLog> m_log;
    bool m_leaseLogUp = true;
    teleop::LeaseTable m_table;
    QHash<QString, PendingClaim> m_pending;         // by lease id
    QHash<QString, std::int64_t> m_renewedUnixMs;   // lease id -> when its last Renew was produced
    QSet<QString> m_swept;                          // other replicas' dead leases this one released
    QStringList m_broadcastLeases;                  // the live leases the consoles last saw
};

}  // namespace fleetdeck
