#pragma once

#include "commandgate.h"
#include "kafkaproducer.h"
#include "kafkareader.h"
#include "kafkasettings.h"
#include "leasemanager.h"
#include "teleoprouter.h"

#include <QObject>

namespace fleetdeck {

class FleetServer;

// Teleoperation assembled: leases, the command gate, a producer of commands that does not batch
// (linger 0: a drive command must not wait for company), a reader of the robots' acks, the shared
// lease log (a producer and a reader of fleet.leases, which every replica reads whole, so leases stay
// exclusive across replicas), and the router between them and the consoles of `server`. Commands
// and acks travel apart from telemetry, so teleop never queues behind it.
// Thread: main (acks and lease records are decoded on their readers' threads).
class TeleopService : public QObject
{
    Q_OBJECT

public:
    TeleopService(FleetServer *server, const Clock *clock, QObject *parent = nullptr);
    ~TeleopService() override;

    [[nodiscard]] bool start(const kafka::KafkaSettings &settings, QString *error);
    // Ends every lease (each robot is sent an explicit stop) and waits for the stops to be delivered.
    void stop(const QString &why);

    [[nodiscard]] TeleopRouter &router() { return m_router; }
    [[nodiscard]] teleop::LeaseManager &leases() { return m_leases; }
    // This replica's name in the lease log: the host and a random suffix, new at every start.
    [[nodiscard]] const QString &replicaId() const { return m_replicaId; }
    void setCommandPathUp(bool up) { m_router.setCommandPathUp(up); }
    // The lease log has been read up to where it stood at start: this replica knows every live lease.
    [[nodiscard]] bool isLeaseLogRead() const { return m_leaseReader.isCaughtUp(); }

private:
    kafka::KafkaSettings m_settings;
    const Clock *m_clock;
    QString m_replicaId;
    teleop::LeaseManager m_leases;
    teleop::CommandGate m_gate;
    kafka::KafkaProducer m_producer;
    kafka::KafkaReader m_acks;
    kafka::KafkaProducer m_leaseProducer;
    TeleopRouter m_router;
    kafka::KafkaReader m_leaseReader;  // after the router: stops delivering before it goes
    FleetServer *m_server;
};

}  // namespace fleetdeck
