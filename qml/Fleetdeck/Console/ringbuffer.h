#pragma once

#include <cstddef>
#include <vector>

namespace fleetdeck {

// Fixed-capacity FIFO that overwrites its oldest item when full: memory stays bounded however long
// a robot stays selected. Indexing is oldest first. Capacity must be at least 1.
template <typename T>
class RingBuffer
{
public:
    explicit RingBuffer(std::size_t capacity) : m_items(capacity) {}

    void push(const T &item)
    {
        m_items[(m_first + m_size) % m_items.size()] = item;
        if (m_size < m_items.size())
            ++m_size;
        else
            m_first = (m_first + 1) % m_items.size();
    }
    void clear()
    {
        m_first = 0;
        m_size = 0;
    }

    [[nodiscard]] std::size_t size() const { return m_size; }
    [[nodiscard]] std::size_t capacity() const { return m_items.size(); }
    [[nodiscard]] bool empty() const { return m_size == 0; }
    [[nodiscard]] const T &operator[](std::size_t i) const { return m_items[(m_first + i) % m_items.size()]; }
    [[nodiscard]] const T &back() const { return (*this)[m_size - 1]; }

private:
    std::vector<T> m_items;
    std::size_t m_first = 0;
    std::size_t m_size = 0;
};

}  // namespace fleetdeck
