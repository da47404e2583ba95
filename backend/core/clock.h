#pragma once

#include <cstdint>

namespace fleetdeck {

// Wall-clock time in Unix epoch milliseconds, injected wherever timeouts or ages are computed so
// tests can move time by hand instead of sleeping.
class Clock
{
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual std::int64_t nowUnixMs() const = 0;
};

class SystemClock final : public Clock
{
public:
    [[nodiscard]] std::int64_t nowUnixMs() const override;
};

// A clock that moves only when told to. Thread: the owner's.
class ManualClock final : public Clock
{
public:
    explicit ManualClock(std::int64_t startUnixMs = 1'700'000'000'000) : m_now(startUnixMs) {}
    [[nodiscard]] std::int64_t nowUnixMs() const override { return m_now; }
    void advance(std::int64_t ms) { m_now += ms; }
    void set(std::int64_t unixMs) { m_now = unixMs; }

private:
    std::int64_t m_now;
};

}  // namespace fleetdeck
