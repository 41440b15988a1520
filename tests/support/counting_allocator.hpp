#pragma once

#include <cstddef>

namespace eddy::test {

struct AllocationCounts {
  std::size_t allocations;
  std::size_t deallocations;
};

// Counts calls of the global operator new and delete, on every thread,
// between construction and stop().
//
// Works only in a test binary that lists support/counting_allocator.cpp
// among its sources: that file replaces the global allocation functions
// ([new.delete]), which must not happen in every test binary. No gtest
// assertion may run while counting: a failing one allocates.
class CountAllocations {
 public:
  CountAllocations() noexcept;
  ~CountAllocations();
  CountAllocations(const CountAllocations&) = delete;
  CountAllocations& operator=(const CountAllocations&) = delete;

  AllocationCounts stop() noexcept;
};

}  // namespace eddy::test
