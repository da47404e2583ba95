#include "tracecontext.h"

#include <QRandomGenerator>

namespace fleetdeck {

namespace {

bool isLowerHex(std::string_view text)
{
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

bool isAllZero(const QByteArray &hex)
{
    return hex.count('0') == hex.size();
}

QByteArray randomHex(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    do {
        for (int i = 0; i < bytes; i += 4) {
            const quint32 word = QRandomGenerator::global()->generate();
            for (int j = 0; j < 4 && i + j < bytes; ++j)
                raw[i + j] = char((word >> (8 * j)) & 0xff);
        }
    } while (raw.count('\0') == raw.size());  // all-zero ids are invalid
    return raw.toHex();
}

}  // namespace

bool TraceContext::isValid() const
{
    return traceId.size() == 32 && spanId.size() == 16 && isLowerHex({traceId.constData(), 32})
        && isLowerHex({spanId.constData(), 16}) && !isAllZero(traceId) && !isAllZero(spanId);
}

QByteArray TraceContext::traceparent() const
{
    if (!isValid())
        return {};
    return "00-" + traceId + '-' + spanId + (sampled ? "-01" : "-00");
}

TraceContext TraceContext::child() const
{
    return {traceId, newSpanId(), sampled};
}

TraceContext TraceContext::newTrace(bool sampled)
{
    return {randomHex(16), randomHex(8), sampled};
}

QByteArray TraceContext::newSpanId()
{
    return randomHex(8);
}

std::optional<TraceContext> TraceContext::parse(std::string_view header)
{
    // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55
    constexpr std::size_t kLength = 55;
    if (header.size() < kLength || header[2] != '-' || header[35] != '-' || header[52] != '-')
        return std::nullopt;
    const std::string_view version = header.substr(0, 2);
    if (!isLowerHex(version) || version == "ff")
        return std::nullopt;
    if (version == "00" ? header.size() != kLength : (header.size() > kLength && header[kLength] != '-'))
        return std::nullopt;
    const std::string_view flags = header.substr(53, 2);
    if (!isLowerHex(flags) || !isLowerHex(header.substr(3, 32)) || !isLowerHex(header.substr(36, 16)))
        return std::nullopt;
    TraceContext context;
    context.traceId = QByteArray(header.data() + 3, 32);
    context.spanId = QByteArray(header.data() + 36, 16);
    context.sampled = (QByteArray(flags.data(), 2).toInt(nullptr, 16) & 0x01) != 0;
    if (!context.isValid())
        return std::nullopt;
    return context;
}

}  // namespace fleetdeck
