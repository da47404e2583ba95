#include "codec.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace fleetdeck;

namespace {

RobotState sampleRobot()
{
    RobotState r;
    r.robotId = QStringLiteral("nb-0042");
    r.latDeg = 53.5573821;
    r.lonDeg = 13.2612345;
    r.headingDeg = 271.5f;
    r.speedMps = 1.4f;
    r.mode = Mode::WaitingToCross;
    r.taskId = QStringLiteral("T-000123");
    r.batteryPct = 63.5f;
    r.motorLeftTempC = 41.f;
    r.motorRightTempC = 43.5f;
    r.lidar = SensorStatus::Ok;
    r.cameras = SensorStatus::Degraded;
    r.gps = SensorStatus::Ok;
    r.cpuPct = 37.f;
    r.diskPct = 55.f;
    r.linkRttMs = 87.f;
    r.signalDbm = -91.f;
    r.faults = {{int(FaultCode::CameraFailed), 1'700'000'000'000, QStringLiteral("front-left")}};
    r.sampleTimeUnixMs = 1'700'000'000'123;
    r.sequence = 77;
    return r;
}

QByteArray encodeTelemetry(const RobotState &r)
{
    fleet::v1::Telemetry t;
    codec::stateToTelemetry(r, &t);
    return codec::serialize(t);
}

}  // namespace

class TestCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void telemetryRoundTrip()
    {
        const RobotState original = sampleRobot();
        const QByteArray bytes = encodeTelemetry(original);
        RobotState decoded;
        QString error;
        QVERIFY2(codec::decodeTelemetry(bytes.constData(), std::size_t(bytes.size()), &decoded, &error), qPrintable(error));
        QCOMPARE(decoded.robotId, original.robotId);
        QCOMPARE(decoded.sequence, original.sequence);
        QCOMPARE(decoded.sampleTimeUnixMs, original.sampleTimeUnixMs);
        // Everything a console sees survives: no group differs.
        QCOMPARE(changedGroups(original, decoded) & ~FieldGroup::Freshness, 0u);
    }

    void malformedTelemetry_data()
    {
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<QString>("reasonContains");

        QTest::newRow("garbage") << QByteArray("\xff\xff\xff\xff\x0f", 5) << QStringLiteral("not a fleet.v1.Telemetry");
        QTest::newRow("truncated") << encodeTelemetry(sampleRobot()).left(20) << QStringLiteral("not a fleet.v1.Telemetry");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("robot_id");

        RobotState noId = sampleRobot();
        noId.robotId.clear();
        QTest::newRow("no robot id") << encodeTelemetry(noId) << QStringLiteral("robot_id");

        RobotState offGlobe = sampleRobot();
        offGlobe.latDeg = 123.0;
        QTest::newRow("latitude off the globe") << encodeTelemetry(offGlobe) << QStringLiteral("not on the globe");

        RobotState nanLon = sampleRobot();
        nanLon.lonDeg = std::numeric_limits<double>::quiet_NaN();
        QTest::newRow("NaN longitude") << encodeTelemetry(nanLon) << QStringLiteral("not on the globe");

        RobotState nanBattery = sampleRobot();
        nanBattery.batteryPct = std::numeric_limits<float>::infinity();
        QTest::newRow("infinite battery") << encodeTelemetry(nanBattery) << QStringLiteral("battery_pct");

        RobotState longId = sampleRobot();
        longId.robotId = QString(500, QLatin1Char('x'));
        QTest::newRow("huge robot id") << encodeTelemetry(longId) << QStringLiteral("robot_id");
    }

    void malformedTelemetry()
    {
        QFETCH(QByteArray, payload);
        QFETCH(QString, reasonContains);
        RobotState decoded;
        QString error;
        QVERIFY(!codec::decodeTelemetry(payload.constData(), std::size_t(payload.size()), &decoded, &error));
        QVERIFY2(error.contains(reasonContains), qPrintable(error));
    }

    void unknownFieldsAndEnumsAreTolerated()
    {
        fleet::v1::Telemetry t;
        codec::stateToTelemetry(sampleRobot(), &t);
        QByteArray bytes = codec::serialize(t);
        // Field 99, varint 1: what a newer robot might add.
        bytes.append(QByteArray("\x98\x06\x01", 3));
        RobotState decoded;
        QString error;
        QVERIFY2(codec::decodeTelemetry(bytes.constData(), std::size_t(bytes.size()), &decoded, &error), qPrintable(error));
        QCOMPARE(decoded.robotId, QStringLiteral("nb-0042"));

        t.set_mode(static_cast<fleet::v1::Mode>(57));  // a mode this build does not know
        bytes = codec::serialize(t);
        QVERIFY(codec::decodeTelemetry(bytes.constData(), std::size_t(bytes.size()), &decoded, &error));
        QCOMPARE(decoded.mode, Mode::Unspecified);
    }

    void robotStateCarriesOnlyRequestedGroups_data()
    {
        QTest::addColumn<quint32>("groups");
        QTest::newRow("position") << quint32(FieldGroup::Position);
        QTest::newRow("mode+battery") << quint32(FieldGroup::Mode | FieldGroup::Battery);
        QTest::newRow("faults") << quint32(FieldGroup::Faults);
        QTest::newRow("freshness") << quint32(FieldGroup::Freshness);
        QTest::newRow("all") << quint32(FieldGroup::All);
    }

    void robotStateCarriesOnlyRequestedGroups()
    {
        QFETCH(quint32, groups);
        RobotState source = sampleRobot();
        source.freshness = Freshness::Stale;
        source.receivedUnixMs = 1'700'000'000'500;
        fleet::v1::RobotState wire;
        codec::writeRobotState(source, 7, groups, &wire);
        QCOMPARE(wire.slot(), 7u);

        RobotState target;  // all defaults
        QCOMPARE(codec::readRobotState(wire, &target), groups);
        // The requested groups arrived, and nothing else did.
        QCOMPARE(changedGroups(source, target) & groups, 0u);
        QCOMPARE(changedGroups(RobotState{}, target) & ~groups, 0u);
    }

    void deltaIsSmallerThanSnapshotForPositionOnlyChanges()
    {
        const RobotState r = sampleRobot();
        fleet::v1::RobotState full, positionOnly;
        codec::writeRobotState(r, 1, FieldGroup::All, &full);
        codec::writeRobotState(r, 1, FieldGroup::Position, &positionOnly);
        QVERIFY2(positionOnly.ByteSizeLong() * 3 < full.ByteSizeLong(),
                 qPrintable(QStringLiteral("%1 vs %2 bytes").arg(positionOnly.ByteSizeLong()).arg(full.ByteSizeLong())));
    }
};

QTEST_GUILESS_MAIN(TestCodec)
#include "tst_codec.moc"
