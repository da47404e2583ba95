#include "gamepadinput.h"

#include "teleopcontroller.h"

#include <algorithm>
#include <cmath>

namespace fleetdeck {

GamepadInput::GamepadInput(TeleopController *teleop, Reader reader, QObject *parent)
    : QObject(parent), m_teleop(teleop), m_reader(std::move(reader))
{
    connect(&m_timer, &QTimer::timeout, this, &GamepadInput::poll);
    connect(teleop, &TeleopController::stateChanged, this, &GamepadInput::schedule);
    schedule();
}

double GamepadInput::withDeadZone(double axis)
{
    if (!std::isfinite(axis) || std::abs(axis) <= kDeadZone)
        return 0;
    const double beyond = (std::abs(axis) - kDeadZone) / (1 - kDeadZone);
    return std::copysign(std::min(beyond, 1.0), axis);
}

GamepadDrive GamepadInput::driveFrom(const GamepadReading &reading)
{
    GamepadDrive drive;
    drive.forward = -withDeadZone(reading.leftY);  // pushed away from the operator is negative Y
    const double right = withDeadZone(reading.rightX);
    drive.turn = right != 0 ? right : withDeadZone(reading.leftX);
    return drive;
}

void GamepadInput::schedule()
{
    if (!m_reader) {
        m_timer.stop();
        return;
    }
    // A connected pad is read at the send rate even without a lease: its e-stop button must not be
    // missed between two slow polls. Only while none is plugged in is it looked for slowly.
    const int interval = m_teleop->holding() || m_connected ? TeleopController::kCommandIntervalMs : kIdleIntervalMs;
    if (!m_timer.isActive() || m_timer.interval() != interval)
        m_timer.start(interval);
}

void GamepadInput::poll()
{
    apply(m_reader());
}

void GamepadInput::setEngaged(bool engaged)
{
    if (engaged == m_engaged)
        return;
    m_engaged = engaged;
    Q_EMIT engagedChanged();
}

void GamepadInput::apply(const GamepadReading &reading)
{
    const QString name = reading.connected ? reading.id : QString();
    if (reading.connected != m_connected || name != m_name) {
        m_connected = reading.connected;
        m_name = name;
        Q_EMIT connectedChanged();
        schedule();
    }
    if (!reading.connected) {
        // Unplugged, out of battery or out of range mid-drive: the operator can no longer hold on.
        m_stopDown = false;
        if (m_engaged) {
            setEngaged(false);
            m_teleop->engage(false);
        }
        return;
    }

    // On the press only: a held button is one e-stop, not twenty a second.
    if (reading.stopButton && !m_stopDown)
        m_teleop->emergencyStop();
    m_stopDown = reading.stopButton;

    const bool hold = reading.engageButton && !reading.stopButton;
    if (hold) {
        const GamepadDrive drive = driveFrom(reading);
        m_teleop->setDriveInput(drive.forward, drive.turn);
        // Engaged on the press only: after anything else stopped the driving (an e-stop, the page
        // losing focus, a refusal) the operator lets go and presses again, as with the keys.
        if (!m_engaged) {
            setEngaged(true);
            m_teleop->engage(true);
        }
    } else if (m_engaged && !reading.engageButton) {
        setEngaged(false);
        m_teleop->engage(false);
    }
}

}  // namespace fleetdeck
