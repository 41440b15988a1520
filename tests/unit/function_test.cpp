#include <eddy/function.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace {

using Fn = eddy::Function<int()>;

// Counts how many times the "live" copy of a captured object is destroyed:
// moved-from shells do not count, so a correct wrapper destroys exactly one.
struct Probe {
  explicit Probe(int* destroyed) : destroyed_(destroyed) {}
  Probe(Probe&& other) noexcept : destroyed_(std::exchange(other.destroyed_, nullptr)) {}
  Probe& operator=(Probe&&) = delete;
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;
  ~Probe() {
    if (destroyed_ != nullptr) {
      ++*destroyed_;
    }
  }
  int* destroyed_;
};

// A callable of `Padding` extra bytes holding a Probe.
template <std::size_t Padding>
struct ProbeCallable {
  Probe probe;
  std::array<char, Padding> padding{};
  int operator()() { return 7; }
};
using SmallProbeCallable = ProbeCallable<8>;
using LargeProbeCallable = ProbeCallable<Fn::kInlineSize + 1>;

TEST(Function, DefaultAndNullptrFunctionsAreEmpty) {
  Fn empty;  // not const: `const Fn empty;` does not compile (storage_ has no initializer)
  Fn null = nullptr;
  EXPECT_FALSE(empty);
  EXPECT_FALSE(null);
  EXPECT_FALSE(empty.is_inline());
}

TEST(Function, SmallCallableIsStoredInline) {
  int a = 1;
  int b = 2;
  int c = 3;
  Fn fn([&a, &b, &c] { return a + b + c; });
  ASSERT_TRUE(fn);
  EXPECT_TRUE(fn.is_inline());
  EXPECT_EQ(fn(), 6);
  // Six pointers is the documented inline capacity.
  std::array<char, Fn::kInlineSize> exactly{};
  exactly[0] = 5;
  Fn full([exactly] { return int{exactly[0]}; });
  EXPECT_TRUE(full.is_inline());
  EXPECT_EQ(full(), 5);
  // A std::unique_ptr capture is inline too.
  Fn owning([p = std::make_unique<int>(9)] { return *p; });
  EXPECT_TRUE(owning.is_inline());
  EXPECT_EQ(owning(), 9);
}

TEST(Function, LargeCallableIsStoredOnTheHeapAndWorks) {
  std::array<char, Fn::kInlineSize + 1> big{};
  big[Fn::kInlineSize] = 11;
  Fn fn([big] { return int{big[Fn::kInlineSize]}; });
  EXPECT_FALSE(fn.is_inline());
  EXPECT_EQ(fn(), 11);
  Fn moved(std::move(fn));
  EXPECT_FALSE(moved.is_inline());
  EXPECT_EQ(moved(), 11);
}

TEST(Function, OverAlignedCallableIsCalledOnAnAlignedObject) {
  struct alignas(64) Aligned {
    int value = 3;
    int operator()() const { return reinterpret_cast<std::uintptr_t>(this) % 64 == 0 ? value : -1; }
  };
  Fn fn(Aligned{});
  EXPECT_EQ(fn(), 3);
  Fn moved(std::move(fn));
  EXPECT_EQ(moved(), 3);
}

int add_one(int value) { return value + 1; }

TEST(Function, TakesAPlainFunctionByNameAndStoresItsPointerInline) {
  eddy::Function<int(int)> f = add_one;
  ASSERT_TRUE(f);
  EXPECT_TRUE(f.is_inline());
  EXPECT_EQ(f(41), 42);
}

TEST(Function, ForwardsArgumentsAndReturnValue) {
  eddy::Function<std::string(std::unique_ptr<int>, const std::string&)> fn(
      [](std::unique_ptr<int> n, const std::string& s) { return s + std::to_string(*n); });
  EXPECT_EQ(fn(std::make_unique<int>(4), "x"), "x4");
}

TEST(Function, AcceptsMoveOnlyCallables) {
  auto value = std::make_unique<int>(5);
  Fn fn([value = std::move(value)] { return *value; });
  Fn moved(std::move(fn));
  EXPECT_EQ(moved(), 5);

  std::array<std::unique_ptr<int>, 8> many;  // too big for inline storage
  many[7] = std::make_unique<int>(8);
  Fn heap([many = std::move(many)] { return *many[7]; });
  EXPECT_FALSE(heap.is_inline());
  EXPECT_EQ(heap(), 8);
}

TEST(Function, MovedFromFunctionIsEmpty) {
  int destroyed = 0;
  Fn small(SmallProbeCallable{Probe(&destroyed)});
  Fn large(LargeProbeCallable{Probe(&destroyed)});
  ASSERT_TRUE(small.is_inline());
  ASSERT_FALSE(large.is_inline());

  Fn small_target(std::move(small));
  Fn large_target(std::move(large));
  EXPECT_FALSE(small);  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_FALSE(large);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(small_target(), 7);
  EXPECT_EQ(large_target(), 7);

  Fn assigned;
  assigned = std::move(small_target);
  EXPECT_FALSE(small_target);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(assigned(), 7);
  EXPECT_EQ(destroyed, 0);
}

TEST(Function, CapturedObjectIsDestroyedExactlyOnce) {
  int small_destroyed = 0;
  int large_destroyed = 0;
  {
    Fn small(SmallProbeCallable{Probe(&small_destroyed)});
    Fn large(LargeProbeCallable{Probe(&large_destroyed)});
    Fn small_moved(std::move(small));
    Fn large_moved(std::move(large));
    Fn small_assigned;
    Fn large_assigned;
    small_assigned = std::move(small_moved);
    large_assigned = std::move(large_moved);
    EXPECT_EQ(small_assigned(), 7);
    EXPECT_EQ(large_assigned(), 7);
    EXPECT_EQ(small_destroyed, 0);
    EXPECT_EQ(large_destroyed, 0);
  }
  EXPECT_EQ(small_destroyed, 1);
  EXPECT_EQ(large_destroyed, 1);
}

TEST(Function, AssigningOverACallableDestroysTheOldOneOnce) {
  int old_destroyed = 0;
  int new_destroyed = 0;
  Fn fn(LargeProbeCallable{Probe(&old_destroyed)});
  fn = Fn(SmallProbeCallable{Probe(&new_destroyed)});
  EXPECT_EQ(old_destroyed, 1);
  EXPECT_EQ(new_destroyed, 0);
  fn = nullptr;
  EXPECT_FALSE(fn);
  EXPECT_EQ(new_destroyed, 1);
  EXPECT_EQ(old_destroyed, 1);
}

}  // namespace
