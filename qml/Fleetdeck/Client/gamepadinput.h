#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include <functional>

namespace fleetdeck {

class TeleopController;

// One reading of a gamepad in the Gamepad API's standard layout (w3c.github.io/gamepad, "Remapping"):
// axes 0/1 the left stick, 2 the right stick's X, -1..1 with Y positive downwards; button 0 is A on
// an Xbox pad and cross on a PlayStation one, button 1 is B or circle.
struct GamepadReading {
    bool connected = false;
    QString id;            // as the browser names the device
    double leftX = 0;
    double leftY = 0;
    double rightX = 0;
    bool engageButton = false;  // button 0: held = drive (the deadman)
    bool stopButton = false;    // button 1: e-stop
};

// What the sticks ask for, in TeleopController::setDriveInput's terms (-1..1, turn +1 = right).
struct GamepadDrive {
    double forward = 0;
    double turn = 0;
};

// Drives the TeleopController from a gamepad, as the keys and the on-screen joystick do: holding the
// engage button is the deadman (drive while held, one Stop on release), the left stick's Y is speed
// and the right stick's X turns (the left stick's X when the right one rests), the stop button is an
// e-stop. A gamepad that disconnects while driving lets go. The safety rules (lease, deadline, rate
// limits) stay in the controller and the backend; this class only maps.
//
// Readings come from a reader function, the browser's Gamepad API in the browser build
// (browsergamepad.h); with none, nothing is polled (the desktop). Polled at the controller's send
// rate while the console holds a lease, else slowly, for the connection status and the e-stop.
// Thread: main.
class GamepadInput : public QObject
{
    Q_OBJECT
    Q_PROPERTY(bool connected READ connected NOTIFY connectedChanged)
    Q_PROPERTY(QString name READ name NOTIFY connectedChanged)
    // The engage button is down and its press was handed to the controller.
    Q_PROPERTY(bool engaged READ engaged NOTIFY engagedChanged)

public:
    using Reader = std::function<GamepadReading()>;

    // Sticks rest within this of the centre, and are never quite centred.
    static constexpr double kDeadZone = 0.15;
    static constexpr int kIdleIntervalMs = 500;

    // `teleop` must outlive this object.
    GamepadInput(TeleopController *teleop, Reader reader, QObject *parent = nullptr);

    [[nodiscard]] bool connected() const { return m_connected; }
    [[nodiscard]] QString name() const { return m_name; }
    [[nodiscard]] bool engaged() const { return m_engaged; }
    [[nodiscard]] int pollIntervalMs() const { return m_timer.isActive() ? m_timer.interval() : 0; }

    // An axis past the dead zone, rescaled so that its travel beyond it spans 0..1.
    [[nodiscard]] static double withDeadZone(double axis);
    [[nodiscard]] static GamepadDrive driveFrom(const GamepadReading &reading);

    // Acts on one reading; what each poll does. Public so tests need not wait for the timer.
    void apply(const GamepadReading &reading);

Q_SIGNALS:
    void connectedChanged();
    void engagedChanged();

private:
    void poll();
    void schedule();
    void setEngaged(bool engaged);

    TeleopController *m_teleop;
    Reader m_reader;
    QTimer m_timer;
    bool m_connected = false;
    QString m_name;
    bool m_engaged = false;
    bool m_stopDown = false;
};

}  // namespace fleetdeck
