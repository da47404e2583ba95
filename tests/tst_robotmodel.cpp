#include "codec.h"
#include "robotmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace fleetdeck;

namespace {

RobotState robot(int i)
{
    RobotState r;
    r.robotId = QStringLiteral("nb-%1").arg(i, 4, 10, QLatin1Char('0'));
    r.latDeg = 53.55 + i * 1e-4;
    r.lonDeg = 13.26;
    r.mode = Mode::Autonomous;
    r.batteryPct = 80;
    r.freshness = Freshness::Live;
    return r;
}

fleet::v1::Snapshot snapshotOf(int count, quint64 sequence = 10)
{
    fleet::v1::Snapshot snapshot;
    snapshot.set_sequence(sequence);
    snapshot.set_server_time_unix_ms(5000);
    for (int i = 0; i < count; ++i)
        codec::writeRobotState(robot(i), std::uint32_t(i), FieldGroup::All, snapshot.add_robots());
    return snapshot;
}

}  // namespace

class TestRobotModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void snapshotResetsModel()
    {
        RobotModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.applySnapshot(snapshotOf(5), 4000);
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 5);
        QCOMPARE(model.data(model.index(3), RobotModel::RobotIdRole).toString(), QStringLiteral("nb-0003"));
        QCOMPARE(model.rowOf(QStringLiteral("nb-0004")), 4);
        QCOMPARE(model.serverTimeOffsetMs(), 1000);
    }

    // One dataChanged per run of adjacent changed rows, with exactly the roles of what changed.
    void deltaEmitsOneSignalPerRunWithChangedRoles()
    {
        RobotModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.applySnapshot(snapshotOf(10), 4000);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

        fleet::v1::Delta delta;
        delta.set_sequence(11);
        for (int row : {2, 3}) {
            RobotState moved = robot(row);
            moved.latDeg += 0.001;
            codec::writeRobotState(moved, std::uint32_t(row), FieldGroup::Position, delta.add_robots());
        }
        RobotState charging = robot(7);
        charging.mode = Mode::Charging;
        codec::writeRobotState(charging, 7, FieldGroup::Mode, delta.add_robots());
        // Row 8 is "changed" on the wire but equal in value: no signal for it.
        codec::writeRobotState(robot(8), 8, FieldGroup::Battery, delta.add_robots());

        QVERIFY(model.applyDelta(delta, 4000));
        QCOMPARE(reset.count(), 0);
        QCOMPARE(changed.count(), 2);

        const auto first = changed.at(0);
        QCOMPARE(first.at(0).toModelIndex().row(), 2);
        QCOMPARE(first.at(1).toModelIndex().row(), 3);
        const auto firstRoles = first.at(2).value<QVector<int>>();
        QVERIFY(firstRoles.contains(RobotModel::LatitudeRole));
        QVERIFY(!firstRoles.contains(RobotModel::ModeRole));
        QVERIFY(!firstRoles.contains(RobotModel::BatteryRole));

        const auto second = changed.at(1);
        QCOMPARE(second.at(0).toModelIndex().row(), 7);
        QCOMPARE(second.at(1).toModelIndex().row(), 7);
        const auto secondRoles = second.at(2).value<QVector<int>>();
        QVERIFY(secondRoles.contains(RobotModel::ModeRole));
        QVERIFY(secondRoles.contains(RobotModel::StatusRole));
        QVERIFY(!secondRoles.contains(RobotModel::LatitudeRole));
        QCOMPARE(model.data(model.index(7), RobotModel::ModeRole).toInt(), int(Mode::Charging));
    }

    void deltaAppendsNewRobots()
    {
        RobotModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.applySnapshot(snapshotOf(3), 4000);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        fleet::v1::Delta delta;
        delta.set_sequence(11);
        codec::writeRobotState(robot(3), 3, FieldGroup::All, delta.add_robots());
        codec::writeRobotState(robot(4), 4, FieldGroup::All, delta.add_robots());
        QVERIFY(model.applyDelta(delta, 4000));
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted.at(0).at(1).toInt(), 3);
        QCOMPARE(inserted.at(0).at(2).toInt(), 4);
        QCOMPARE(model.rowOf(QStringLiteral("nb-0004")), 4);
    }

    void deltaNamingUnknownRobotIsRefusedWhole()
    {
        RobotModel model;
        model.applySnapshot(snapshotOf(3), 4000);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        fleet::v1::Delta delta;
        RobotState moved = robot(0);
        moved.latDeg = 1;
        codec::writeRobotState(moved, 0, FieldGroup::Position, delta.add_robots());
        codec::writeRobotState(robot(9), 9, FieldGroup::Position, delta.add_robots());  // no identity, past the end
        QVERIFY(!model.applyDelta(delta, 4000));
        QCOMPARE(changed.count(), 0);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.robotAt(0).latDeg, robot(0).latDeg);
    }
};

QTEST_GUILESS_MAIN(TestRobotModel)
#include "tst_robotmodel.moc"
