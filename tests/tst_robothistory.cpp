// RobotHistory: the selected robot's recent values for the detail charts; HistoryFeed, which takes one
// quantity's points for a chart, and SeriesFill, which puts them into a Qt Charts series. Time comes
// from a ManualClock; nothing here waits for time to pass.

#include "historyfeed.h"
#include "historyfleet.h"
#include "ringbuffer.h"
#include "robothistory.h"
#include "robotmodel.h"
#include "robotselection.h"
#include "seriesfill.h"

#include <QSignalSpy>
#include <QTest>
#include <QtCharts/QLineSeries>

#if QT_VERSION < QT_VERSION_CHECK(6, 0, 0)
QT_CHARTS_USE_NAMESPACE
#endif

using namespace fleetdeck;
using Quantity = RobotHistory::Quantity;

class TestRobotHistory : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ringBufferKeepsTheNewestItems_data()
    {
        QTest::addColumn<int>("capacity");
        QTest::addColumn<int>("pushed");
        QTest::newRow("not full") << 4 << 3;
        QTest::newRow("exactly full") << 4 << 4;
        QTest::newRow("wrapped once") << 4 << 6;
        QTest::newRow("wrapped many times") << 3 << 100;
        QTest::newRow("capacity one") << 1 << 5;
    }
    void ringBufferKeepsTheNewestItems()
    {
        QFETCH(int, capacity);
        QFETCH(int, pushed);
        RingBuffer<int> ring(static_cast<std::size_t>(capacity));
        for (int i = 0; i < pushed; ++i)
            ring.push(i);
        const int kept = std::min(capacity, pushed);
        QCOMPARE(int(ring.size()), kept);
        QCOMPARE(int(ring.capacity()), capacity);
        for (int i = 0; i < kept; ++i)
            QCOMPARE(ring[std::size_t(i)], pushed - kept + i);  // oldest first
        QCOMPARE(ring.back(), pushed - 1);
        ring.clear();
        QVERIFY(ring.empty());
    }

    void historyWrapsAtCapacity()
    {
        Fleet fleet(3, 4);
        fleet.selection.setRobotId(QStringLiteral("nb-0001"));
        for (int i = 1; i <= 6; ++i) {
            fleet.clock.advance(1000);
            fleet.states[1].batteryPct = float(80 - i);
            QVERIFY(fleet.report(1));
        }
        // The seed (80) and 79, 78 fell out; the four newest remain, oldest first.
        QCOMPARE(fleet.values(Quantity::Battery), (std::vector<double>{77, 76, 75, 74}));
        const auto samples = fleet.history->samples(Quantity::Battery);
        QCOMPARE(samples.front().timeMs, kStart + 3000);
        QCOMPARE(samples.back().timeMs, kStart + 6000);
        QCOMPARE(fleet.history->capacity(), 4);
    }

    void seedsWithTheSelectedRobotsCurrentValues()
    {
        Fleet fleet;
        QVERIFY(fleet.history->samples(Quantity::Battery).empty());
        fleet.selection.setRobotId(QStringLiteral("nb-0002"));
        QCOMPARE(fleet.history->robotId(), QStringLiteral("nb-0002"));
        const auto samples = fleet.history->samples(Quantity::Battery);
        QCOMPARE(int(samples.size()), 1);
        QCOMPARE(samples[0].timeMs, kStart);
        QCOMPARE(samples[0].value, 80.0);
    }

    // Each quantity records the right field at the clock's time of arrival.
    void recordsValuesAndTimes_data()
    {
        QTest::addColumn<int>("quantity");
        QTest::addColumn<std::uint32_t>("group");
        QTest::addColumn<double>("seed");
        QTest::addColumn<double>("later");
        QTest::newRow("battery") << int(Quantity::Battery) << std::uint32_t(FieldGroup::Battery) << 80.0 << 64.0;
        QTest::newRow("speed") << int(Quantity::Speed) << std::uint32_t(FieldGroup::Position) << 1.0 << 1.5;
        QTest::newRow("link RTT") << int(Quantity::LinkRtt) << std::uint32_t(FieldGroup::Link) << 60.0 << 250.0;
        QTest::newRow("left motor") << int(Quantity::MotorLeftTemp) << std::uint32_t(FieldGroup::Health) << 30.0 << 72.5;
        QTest::newRow("right motor") << int(Quantity::MotorRightTemp) << std::uint32_t(FieldGroup::Health) << 31.0 << 40.0;
    }
    void recordsValuesAndTimes()
    {
        QFETCH(int, quantity);
        QFETCH(std::uint32_t, group);
        QFETCH(double, seed);
        QFETCH(double, later);
        Fleet fleet;
        fleet.selection.setRobotId(QStringLiteral("nb-0003"));
        fleet.clock.advance(1500);
        RobotState &state = fleet.states[3];
        switch (static_cast<Quantity>(quantity)) {
        case Quantity::Battery: state.batteryPct = float(later); break;
        case Quantity::Speed: state.speedMps = float(later); break;
        case Quantity::LinkRtt: state.linkRttMs = float(later); break;
        case Quantity::MotorLeftTemp: state.motorLeftTempC = float(later); break;
        case Quantity::MotorRightTemp: state.motorRightTempC = float(later); break;
        }
        // The value's own group only: the sample time does not move, the charted role does.
        fleet::v1::Delta delta;
        delta.set_sequence(++fleet.sequence);
        codec::writeRobotState(state, 3, group, delta.add_robots());
        QVERIFY(fleet.model.applyDelta(delta, fleet.clock.nowUnixMs()));

        const auto samples = fleet.history->samples(static_cast<Quantity>(quantity));
        QCOMPARE(int(samples.size()), 2);
        QCOMPARE(samples[0].timeMs, kStart);
        QCOMPARE(samples[0].value, seed);
        QCOMPARE(samples[1].timeMs, kStart + 1500);
        QCOMPARE(samples[1].value, later);
    }

    void onlyTheSelectedRowFeedsIt()
    {
        Fleet fleet;
        fleet.selection.setRobotId(QStringLiteral("nb-0002"));
        for (int other : {0, 1, 3, 4}) {
            fleet.clock.advance(1000);
            fleet.states[std::size_t(other)].batteryPct = 10;
            QVERIFY(fleet.report(other));
        }
        QCOMPARE(fleet.values(Quantity::Battery), (std::vector<double>{80}));

        // One dataChanged over rows 1..3 (a run of adjacent rows) includes the selected row.
        fleet.clock.advance(1000);
        fleet::v1::Delta delta;
        delta.set_sequence(++fleet.sequence);
        for (int row : {1, 2, 3}) {
            fleet.states[std::size_t(row)].batteryPct = 50;
            fleet.states[std::size_t(row)].sampleTimeUnixMs = fleet.clock.nowUnixMs();
            codec::writeRobotState(fleet.states[std::size_t(row)], std::uint32_t(row),
                                   FieldGroup::Battery | FieldGroup::Freshness, delta.add_robots());
        }
        QSignalSpy changed(&fleet.model, &QAbstractItemModel::dataChanged);
        QVERIFY(fleet.model.applyDelta(delta, fleet.clock.nowUnixMs()));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(fleet.values(Quantity::Battery), (std::vector<double>{80, 50}));
    }

    // A robot going stale changes its freshness but brings no new measurement.
    void freshnessChangeAloneAddsNoSample()
    {
        Fleet fleet;
        fleet.selection.setRobotId(QStringLiteral("nb-0001"));
        fleet.clock.advance(6000);
        fleet.states[1].freshness = Freshness::Stale;
        fleet::v1::Delta delta;
        delta.set_sequence(++fleet.sequence);
        codec::writeRobotState(fleet.states[1], 1, FieldGroup::Freshness | FieldGroup::Mode, delta.add_robots());
        QVERIFY(fleet.model.applyDelta(delta, fleet.clock.nowUnixMs()));
        QCOMPARE(int(fleet.history->samples(Quantity::Battery).size()), 1);

        // Its next message (same values, new sample time) is a measurement again.
        fleet.clock.advance(1000);
        fleet.states[1].freshness = Freshness::Live;
        QVERIFY(fleet.report(1, FieldGroup::Freshness));
        QCOMPARE(fleet.values(Quantity::Battery), (std::vector<double>{80, 80}));
    }

    void selectionChangeResets()
    {
        Fleet fleet;
        fleet.states[4].batteryPct = 33;
        QVERIFY(fleet.report(4));
        fleet.selection.setRobotId(QStringLiteral("nb-0001"));
        for (int i = 0; i < 3; ++i) {
            fleet.clock.advance(1000);
            QVERIFY(fleet.report(1));
        }
        QCOMPARE(int(fleet.history->samples(Quantity::Battery).size()), 4);

        QSignalSpy updated(fleet.history.get(), &RobotHistory::updated);
        fleet.clock.advance(1000);
        fleet.selection.setRobotId(QStringLiteral("nb-0004"));
        QCOMPARE(updated.count(), 1);  // at once, not after the throttle
        QCOMPARE(fleet.history->robotId(), QStringLiteral("nb-0004"));
        const auto samples = fleet.history->samples(Quantity::Battery);
        QCOMPARE(int(samples.size()), 1);
        QCOMPARE(samples[0].value, 33.0);
        QCOMPARE(samples[0].timeMs, kStart + 4000);

        fleet.selection.clear();
        QCOMPARE(updated.count(), 2);
        QVERIFY(fleet.history->robotId().isEmpty());
        QVERIFY(fleet.history->samples(Quantity::Battery).empty());
        QVERIFY(fleet.history->points(Quantity::Battery).isEmpty());
    }

    void staleRobotStartsEmpty()
    {
        Fleet fleet;
        fleet.states[2].freshness = Freshness::Lost;
        QVERIFY(fleet.report(2, FieldGroup::Freshness));
        fleet.selection.setRobotId(QStringLiteral("nb-0002"));
        QVERIFY(fleet.history->samples(Quantity::Battery).empty());
    }

    // A snapshot may move the robot to another row; its history stays and follows the new row.
    void snapshotKeepsTheSameRobotsHistory()
    {
        Fleet fleet;
        fleet.selection.setRobotId(QStringLiteral("nb-0001"));
        fleet.clock.advance(1000);
        fleet::v1::Snapshot snapshot;
        snapshot.set_sequence(++fleet.sequence);
        std::uint32_t slot = 0;
        for (int i : {4, 3, 2, 1, 0}) {  // reversed: nb-0001 is now row 3
            RobotState state = fleet.states[std::size_t(i)];
            state.sampleTimeUnixMs = fleet.clock.nowUnixMs();
            state.batteryPct = 70;
            codec::writeRobotState(state, slot++, FieldGroup::All, snapshot.add_robots());
        }
        fleet.model.applySnapshot(snapshot, fleet.clock.nowUnixMs());
        QCOMPARE(fleet.model.rowOf(QStringLiteral("nb-0001")), 3);
        QCOMPARE(fleet.values(Quantity::Battery), (std::vector<double>{80, 70}));

        fleet.clock.advance(1000);
        fleet::v1::Delta delta;
        delta.set_sequence(++fleet.sequence);
        RobotState moved = fleet.model.robotAt(3);
        moved.batteryPct = 69;
        moved.sampleTimeUnixMs = fleet.clock.nowUnixMs();
        codec::writeRobotState(moved, 3, FieldGroup::Battery | FieldGroup::Freshness, delta.add_robots());
        QVERIFY(fleet.model.applyDelta(delta, fleet.clock.nowUnixMs()));
        QCOMPARE(fleet.values(Quantity::Battery), (std::vector<double>{80, 70, 69}));
    }

    // At most one update per kPublishIntervalMs of the injected clock; the rest wait for a timer.
    void updatesAreThrottled()
    {
        Fleet fleet;
        QSignalSpy updated(fleet.history.get(), &RobotHistory::updated);
        fleet.selection.setRobotId(QStringLiteral("nb-0000"));
        QCOMPARE(updated.count(), 1);
        fleet.clock.advance(RobotHistory::kPublishIntervalMs / 5);
        QVERIFY(fleet.report(0));
        QCOMPARE(updated.count(), 1);
        fleet.clock.advance(RobotHistory::kPublishIntervalMs);
        QVERIFY(fleet.report(0));
        QCOMPARE(updated.count(), 2);
        QCOMPARE(fleet.history->updatedAtMs(), double(fleet.clock.nowUnixMs()));
        QCOMPARE(int(fleet.history->samples(Quantity::Battery).size()), 3);
    }

    // Points are minutes before the last update; the span grows from kMinSpanMs to the window.
    void pointsAndSpan()
    {
        Fleet fleet;
        fleet.selection.setRobotId(QStringLiteral("nb-0000"));
        QCOMPARE(fleet.history->spanMs(), double(RobotHistory::kMinSpanMs));
        fleet.clock.advance(90'000);
        fleet.states[0].batteryPct = 79;
        QVERIFY(fleet.report(0));
        QCOMPARE(fleet.history->spanMs(), 90'000.0);
        QCOMPARE(fleet.history->points(Quantity::Battery), (QVector<QPointF>{{-1.5, 80}, {0, 79}}));

        // Past the window: the oldest point kept is the last one before the window's start.
        for (int i = 0; i < 5; ++i) {
            fleet.clock.advance(60'000);
            QVERIFY(fleet.report(0));
        }
        QCOMPARE(fleet.history->spanMs(), double(RobotHistory::kWindowMs));
        const auto points = fleet.history->points(Quantity::Battery);
        QCOMPARE(points.size(), 6);
        QCOMPARE(points.front().x(), -5.0);
        QCOMPARE(points.back().x(), 0.0);
    }

    // The chart feed reports the points' range; the series gets every point in one replace().
    void feedReplacesTheSeriesPointsAtOnce()
    {
        Fleet fleet;
        QLineSeries series;
        HistoryFeed feed;
        feed.setQuantity(int(Quantity::LinkRtt));
        feed.setHistory(fleet.history.get());
        SeriesFill fill;
        fill.setFeed(&feed);
        fill.setSeries(&series);
        QCOMPARE(feed.count(), 0);
        QCOMPARE(series.count(), 0);

        QSignalSpy replaced(&series, &QXYSeries::pointsReplaced);
        QSignalSpy added(&series, &QXYSeries::pointAdded);
        fleet.selection.setRobotId(QStringLiteral("nb-0001"));
        for (float rtt : {90.0f, 140.0f, 75.0f}) {
            fleet.clock.advance(RobotHistory::kPublishIntervalMs);
            fleet.states[1].linkRttMs = rtt;
            QVERIFY(fleet.report(1, FieldGroup::Link | FieldGroup::Freshness));
        }
        QCOMPARE(replaced.count(), 4);  // the selection, then each report
        QCOMPARE(added.count(), 0);
        QCOMPARE(series.count(), 4);
        QCOMPARE(series.at(3), QPointF(0, 75));
        QCOMPARE(feed.count(), 4);
        QCOMPARE(feed.minValue(), 60.0);
        QCOMPARE(feed.maxValue(), 140.0);
        QCOMPARE(feed.latestValue(), 75.0);
    }
};

QTEST_MAIN(TestRobotHistory)
#include "tst_robothistory.moc"
