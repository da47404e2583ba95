// Alerts through the real server and real WebSockets: every console sees the same alert, one
// console's acknowledgement reaches all of them at once, a wall (read-only) console is refused, and
// a console that connects late gets the list as it stands.

#include "alertmodel.h"
#include "alertservice.h"
#include "clock.h"
#include "fleetclient.h"
#include "fleetserver.h"
#include "telemetrymailbox.h"
#include "websockettransport.h"

#include <QTest>

using namespace fleetdeck;

namespace {

struct Console {
    SystemClock clock;
    WebSocketTransport transport;
    FleetClient client{&transport, &clock};
    AlertModel alerts{&client};

    Console(const QString &name, bool readOnly, const QUrl &url)
    {
        client.setOperatorName(name);
        client.setReadOnly(readOnly);
        client.setUrl(url);
    }
    [[nodiscard]] QVariant at(int row, AlertModel::Role role) const { return alerts.data(alerts.index(row), role); }
};

QByteArray openMetric(const AlertService &service)
{
    PrometheusText text;
    service.writeMetrics(&text);
    return text.text();
}

}  // namespace

class TestAlertsEndToEnd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sharedFiringAcknowledgedResolved()
    {
        ManualClock clock;
        TelemetryMailbox mailbox;
        FleetServer server({}, &mailbox, &clock);
        QString error;
        QVERIFY2(server.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        AlertService alertService({}, &server, &clock);
        const QUrl url(QStringLiteral("ws://127.0.0.1:%1").arg(server.port()));

        quint64 sequence = 0;
        const auto report = [&](Mode mode) {
            RobotState r;
            r.robotId = QStringLiteral("nb-0007");
            r.sequence = ++sequence;
            r.sampleTimeUnixMs = clock.nowUnixMs();
            r.latDeg = 53.558;
            r.lonDeg = 13.261;
            r.mode = mode;
            r.batteryPct = 70;
            std::vector<RobotState> batch{r};
            mailbox.put(std::move(batch));
            server.tick();
        };
        report(Mode::Autonomous);

        Console alice(QStringLiteral("alice"), false, url);
        Console wall(QStringLiteral("wall"), true, url);
        QTRY_COMPARE(alice.client.state(), FleetClient::ConnectionState::Live);
        QTRY_COMPARE(wall.client.state(), FleetClient::ConnectionState::Live);
        QCOMPARE(alice.alerts.rowCount(), 0);

        // The robot faults: both consoles see one firing alert about it.
        clock.advance(1000);
        report(Mode::Fault);
        alertService.evaluate();
        QTRY_COMPARE(alice.alerts.rowCount(), 1);
        QTRY_COMPARE(wall.alerts.rowCount(), 1);
        QCOMPARE(alice.at(0, AlertModel::RuleRole).toString(), QStringLiteral("robot_faulted"));
        QCOMPARE(alice.at(0, AlertModel::RobotIdRole).toString(), QStringLiteral("nb-0007"));
        QCOMPARE(alice.at(0, AlertModel::StateRole).toInt(), int(fleet::v1::ALERT_STATE_FIRING));
        QVERIFY(!alice.at(0, AlertModel::WhatToCheckRole).toString().isEmpty());
        QCOMPARE(alice.alerts.firingCount(), 1);
        QCOMPARE(alice.alerts.worstOpenSeverity(), int(fleet::v1::SEVERITY_CRITICAL));
        const qulonglong id = alice.at(0, AlertModel::IdRole).toULongLong();
        QCOMPARE(wall.at(0, AlertModel::IdRole).toULongLong(), id);

        // The wall cannot acknowledge: the server refuses, and nothing changes anywhere.
        QVERIFY(wall.alerts.acknowledge(id));
        QTRY_VERIFY(!wall.alerts.lastRefusal().isEmpty());
        QVERIFY(wall.alerts.lastRefusal().contains(QStringLiteral("not acknowledge")));
        QCOMPARE(alertService.engine().find(id)->state(), fleet::v1::ALERT_STATE_FIRING);
        // Prometheus sees what the consoles see.
        QVERIFY(openMetric(alertService).contains("fleetdeck_alerts_open{rule=\"robot_faulted\",state=\"firing\"} 1"));

        // Alice acknowledges: every console shows it, with who and when.
        QVERIFY(alice.alerts.acknowledge(id));
        QTRY_COMPARE(wall.at(0, AlertModel::StateRole).toInt(), int(fleet::v1::ALERT_STATE_ACKNOWLEDGED));
        QCOMPARE(wall.at(0, AlertModel::AcknowledgedByRole).toString(), QStringLiteral("alice"));
        QTRY_COMPARE(alice.at(0, AlertModel::StateRole).toInt(), int(fleet::v1::ALERT_STATE_ACKNOWLEDGED));
        QCOMPARE(alice.alerts.firingCount(), 0);
        QCOMPARE(alice.alerts.openCount(), 1);
        QVERIFY(openMetric(alertService).contains("fleetdeck_alerts_open{rule=\"robot_faulted\",state=\"firing\"} 0"));
        QVERIFY(openMetric(alertService).contains("fleetdeck_alerts_open{rule=\"robot_faulted\",state=\"acknowledged\"} 1"));

        // A console that connects now gets the list as it stands.
        Console bob(QStringLiteral("bob"), false, url);
        QTRY_COMPARE(bob.client.state(), FleetClient::ConnectionState::Live);
        QTRY_COMPARE(bob.alerts.rowCount(), 1);
        QCOMPARE(bob.at(0, AlertModel::AcknowledgedByRole).toString(), QStringLiteral("alice"));

        // Fixed: resolved for everyone after the hold.
        for (int i = 0; i < 16; ++i) {
            clock.advance(1000);
            report(Mode::Autonomous);
            alertService.evaluate();
        }
        QTRY_COMPARE(wall.at(0, AlertModel::StateRole).toInt(), int(fleet::v1::ALERT_STATE_RESOLVED));
        QTRY_COMPARE(bob.at(0, AlertModel::StateRole).toInt(), int(fleet::v1::ALERT_STATE_RESOLVED));
        QCOMPARE(wall.alerts.openCount(), 0);
        QVERIFY(openMetric(alertService).contains("fleetdeck_alerts_open{rule=\"robot_faulted\",state=\"acknowledged\"} 0"));
    }
};

QTEST_GUILESS_MAIN(TestAlertsEndToEnd)
#include "tst_alerts_endtoend.moc"
