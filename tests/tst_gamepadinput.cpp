// GamepadInput: a gamepad's sticks and buttons to the TeleopController (dead zone, axes, the engage
// button as the deadman, e-stop, disconnection), with the real controller over a FakeTransport and
// readings made by hand; the browser's Gamepad API reader is the browser build's only.

#include "gamepadinput.h"
#include "teleoprig.h"

#include <QSignalSpy>
#include <QTest>

using namespace fleetdeck;
using namespace fleetdeck::testing;
using Kind = fleet::v1::TeleopCommand;

namespace {

GamepadReading pad(double leftY = 0, double rightX = 0, bool engage = false, bool stop = false, double leftX = 0)
{
    GamepadReading r;
    r.connected = true;
    r.id = QStringLiteral("Xbox 360 Controller (STANDARD GAMEPAD Vendor: 045e Product: 028e)");
    r.leftX = leftX;
    r.leftY = leftY;
    r.rightX = rightX;
    r.engageButton = engage;
    r.stopButton = stop;
    return r;
}

int countKind(const QList<fleet::v1::TeleopCommand> &commands, Kind::Kind kind)
{
    int n = 0;
    for (const auto &c : commands)
        n += c.kind() == kind ? 1 : 0;
    return n;
}

}  // namespace

class TestGamepadInput : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void deadZone_data()
    {
        QTest::addColumn<double>("axis");
        QTest::addColumn<double>("expected");
        QTest::newRow("centre") << 0.0 << 0.0;
        QTest::newRow("drift inside") << 0.1 << 0.0;
        QTest::newRow("edge of the zone") << -GamepadInput::kDeadZone << 0.0;
        QTest::newRow("halfway beyond") << (1 + GamepadInput::kDeadZone) / 2 << 0.5;
        QTest::newRow("full") << 1.0 << 1.0;
        QTest::newRow("full back") << -1.0 << -1.0;
        QTest::newRow("past full") << 1.3 << 1.0;
        QTest::newRow("not a number") << qQNaN() << 0.0;
    }
    void deadZone()
    {
        QFETCH(double, axis);
        QFETCH(double, expected);
        QCOMPARE(GamepadInput::withDeadZone(axis) + 1, expected + 1);  // +1: qFuzzyCompare near zero
    }

    void sticksToDriveInput_data()
    {
        QTest::addColumn<double>("leftX");
        QTest::addColumn<double>("leftY");
        QTest::addColumn<double>("rightX");
        QTest::addColumn<double>("forward");
        QTest::addColumn<double>("turn");
        QTest::newRow("at rest") << 0.05 << -0.05 << 0.02 << 0.0 << 0.0;
        QTest::newRow("left stick up is forward") << 0.0 << -1.0 << 0.0 << 1.0 << 0.0;
        QTest::newRow("left stick down is reverse") << 0.0 << 1.0 << 0.0 << -1.0 << 0.0;
        QTest::newRow("right stick right turns right") << 0.0 << 0.0 << 1.0 << 0.0 << 1.0;
        QTest::newRow("left stick X when the right rests") << -1.0 << 0.0 << 0.0 << 0.0 << -1.0;
        QTest::newRow("right stick wins") << -1.0 << -1.0 << 1.0 << 1.0 << 1.0;
    }
    void sticksToDriveInput()
    {
        QFETCH(double, leftX);
        QFETCH(double, leftY);
        QFETCH(double, rightX);
        QFETCH(double, forward);
        QFETCH(double, turn);
        const GamepadDrive drive = GamepadInput::driveFrom(pad(leftY, rightX, false, false, leftX));
        QCOMPARE(drive.forward + 1, forward + 1);
        QCOMPARE(drive.turn + 1, turn + 1);
    }

    // Held = drive at the stick's speed; released = one Stop, and no more drives.
    void engageButtonIsTheDeadman()
    {
        Rig rig;
        rig.hold();
        GamepadInput gamepad(&rig.teleop, {});
        const int before = int(rig.transport.sent.size());

        gamepad.apply(pad(-1.0, 0.0, false));  // stick pushed, button not held: nothing
        QVERIFY(!rig.teleop.driving());
        QCOMPARE(commandsSince(rig.transport, before).size(), 0);

        gamepad.apply(pad(-1.0, 0.0, true));
        QVERIFY(gamepad.engaged());
        QVERIFY(rig.teleop.driving());
        auto commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 1);
        QCOMPARE(commands.last().kind(), Kind::KIND_DRIVE);
        QCOMPARE(commands.last().linear_mps(), float(rig.teleop.maxLinearMps()));

        // Still held: the stick's new position goes out with the next tick; no second engage.
        gamepad.apply(pad(0.0, 1.0, true));
        rig.teleop.sendDriveNow();
        commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 2);
        QCOMPARE(commands.last().linear_mps(), 0.0f);
        QVERIFY(commands.last().angular_dps() != 0.0f);

        gamepad.apply(pad(0.0, 1.0, false));
        QVERIFY(!gamepad.engaged());
        QVERIFY(!rig.teleop.driving());
        commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.last().kind(), Kind::KIND_STOP);
        const int afterRelease = int(rig.transport.sent.size());
        rig.teleop.sendDriveNow();
        gamepad.apply(pad(-1.0, 0.0, false));
        QCOMPARE(commandsSince(rig.transport, afterRelease).size(), 0);
    }

    // The stop button e-stops once per press, and the engage button must be let go and pressed
    // again before the robot drives again.
    void stopButtonIsAnEmergencyStop()
    {
        Rig rig;
        rig.hold();
        GamepadInput gamepad(&rig.teleop, {});
        const int before = int(rig.transport.sent.size());
        gamepad.apply(pad(-1.0, 0.0, true));
        QVERIFY(rig.teleop.driving());

        gamepad.apply(pad(-1.0, 0.0, true, true));
        gamepad.apply(pad(-1.0, 0.0, true, true));  // still held: no second e-stop
        QVERIFY(!rig.teleop.driving());
        QCOMPARE(countKind(commandsSince(rig.transport, before), Kind::KIND_EMERGENCY_STOP), 1);

        gamepad.apply(pad(-1.0, 0.0, true, false));  // e-stop let go, engage still held
        QVERIFY(!rig.teleop.driving());
        gamepad.apply(pad(-1.0, 0.0, false));
        gamepad.apply(pad(-1.0, 0.0, true));
        QVERIFY(rig.teleop.driving());
    }

    // A gamepad that goes away mid-drive lets go: one Stop, and the panel stops naming it.
    void disconnectStopsDriving()
    {
        Rig rig;
        rig.hold();
        GamepadInput gamepad(&rig.teleop, {});
        QSignalSpy connected(&gamepad, &GamepadInput::connectedChanged);
        gamepad.apply(pad(-0.5, 0.0, true));
        QVERIFY(gamepad.connected());
        QVERIFY(gamepad.name().startsWith(QStringLiteral("Xbox 360")));
        QCOMPARE(connected.count(), 1);
        QVERIFY(rig.teleop.driving());
        const int before = int(rig.transport.sent.size());

        gamepad.apply(GamepadReading{});
        QVERIFY(!gamepad.connected());
        QVERIFY(gamepad.name().isEmpty());
        QCOMPARE(connected.count(), 2);
        QVERIFY(!gamepad.engaged());
        QVERIFY(!rig.teleop.driving());
        const auto commands = commandsSince(rig.transport, before);
        QCOMPARE(commands.size(), 1);
        QCOMPARE(commands.first().kind(), Kind::KIND_STOP);
    }

    // Polled at the send rate while the console holds the lease or a pad is connected, slowly otherwise; never
    // without a reader (the desktop).
    void pollsAtTheSendRateWhileHolding()
    {
        Rig rig;
        int reads = 0;
        GamepadInput gamepad(&rig.teleop, [&reads] {
            ++reads;
            return GamepadReading{};
        });
        QCOMPARE(gamepad.pollIntervalMs(), GamepadInput::kIdleIntervalMs);
        rig.hold();
        QCOMPARE(gamepad.pollIntervalMs(), TeleopController::kCommandIntervalMs);
        rig.teleop.release();
        QCOMPARE(gamepad.pollIntervalMs(), GamepadInput::kIdleIntervalMs);

        // A pad plugged in is read at the send rate without a lease too: a tap on its e-stop button
        // lasts about a tenth of a second.
        GamepadReading pad;
        pad.connected = true;
        pad.id = QStringLiteral("pad");
        gamepad.apply(pad);
        QCOMPARE(gamepad.pollIntervalMs(), TeleopController::kCommandIntervalMs);
        gamepad.apply(GamepadReading{});
        QCOMPARE(gamepad.pollIntervalMs(), GamepadInput::kIdleIntervalMs);

        GamepadInput none(&rig.teleop, {});
        QCOMPARE(none.pollIntervalMs(), 0);
    }
};

QTEST_MAIN(TestGamepadInput)
#include "tst_gamepadinput.moc"
