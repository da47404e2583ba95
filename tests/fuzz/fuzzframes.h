#pragma once

#include <QByteArray>

#include <algorithm>
#include <cstddef>
#include <cstdint>

// The one input layout of the sequence harnesses, so a fuzzer explores orders of messages and not
// only single ones: frames of [control byte][u16 little-endian length][length bytes]. A last frame
// shorter than its length takes what is left, so every input means something.
namespace fleetdeck::fuzz {

struct Frame {
    std::uint8_t control = 0;
    QByteArray bytes;  // a raw view into the input: valid while the input is
};

class FrameReader
{
public:
    FrameReader(const std::uint8_t *data, std::size_t size) : m_p(data), m_end(data + size) {}

    [[nodiscard]] bool next(Frame *frame)
    {
        if (m_end - m_p < 3)
            return false;
        frame->control = m_p[0];
        const std::size_t length = std::size_t(m_p[1]) | (std::size_t(m_p[2]) << 8);
        m_p += 3;
        const std::size_t taken = std::min<std::size_t>(length, std::size_t(m_end - m_p));
        frame->bytes = QByteArray::fromRawData(reinterpret_cast<const char *>(m_p), qsizetype(taken));
        m_p += taken;
        return true;
    }

    // Takes an 8-byte little-endian value out of the stream; 0 when the input ends first.
    [[nodiscard]] std::int64_t takeInt64()
    {
        std::uint64_t value = 0;
        for (int i = 0; i < 8 && m_p < m_end; ++i)
            value |= std::uint64_t(*m_p++) << (8 * i);
        return static_cast<std::int64_t>(value);
    }

private:
    const std::uint8_t *m_p;
    const std::uint8_t *m_end;
};

inline void appendFrame(QByteArray *out, std::uint8_t control, const QByteArray &bytes)
{
    const auto length = static_cast<std::uint16_t>(std::min<qsizetype>(bytes.size(), 0xffff));
    out->append(char(control));
    out->append(char(length & 0xff));
    out->append(char(length >> 8));
    out->append(bytes.left(length));
}

inline void appendInt64(QByteArray *out, std::int64_t value)
{
    for (int i = 0; i < 8; ++i)
        out->append(char((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xff));
}

// Clock steps a control byte can ask for (3 bits): enough to cross the teleop budget (250 ms), the
// lease TTL (3 s), staleness (5 s), loss (30 s) and the command gate's hour cap.
inline constexpr std::int64_t kClockSteps[8] = {0, 1, 20, 100, 300, 3'100, 31'000, 3'700'000};
inline constexpr std::int64_t kStartUnixMs = 1'700'000'000'000;

}  // namespace fleetdeck::fuzz
