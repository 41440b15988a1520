// A TcpListener and a UdpSocket carried into a forked child work there
// after Loop::reinit_after_fork(), on every backend: on uring their
// requests were on the parent's ring, and the child's loop must start them
// again on its own. The parent pauses its listener before the fork and
// closes its copy of the UDP socket after it (a parent that kept accepting
// or receiving would compete with the child for the same peers and
// datagrams), and keeps accepting once the child is done.
#include "support/run_until.hpp"

#include <eddy/loop.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/tcp_listener.hpp>
#include <eddy/udp_socket.hpp>
#include <eddy/unique_fd.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <vector>

namespace {

using eddy::SocketAddress;
using eddy::TcpListener;
using eddy::UdpSocket;
using eddy::UniqueFd;
using eddy::test::run_until;

UniqueFd connect_to(const SocketAddress& to) {
  UniqueFd fd(::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), to.get(), to.size()) != 0) {
    return {};
  }
  return fd;
}

bool send_datagram(const SocketAddress& to) {
  const UniqueFd fd(::socket(to.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
  return fd && ::sendto(fd.get(), "ping", 4, 0, to.get(), to.size()) == 4;
}

struct Carried {
  eddy::Loop& loop;
  TcpListener& listener;
  std::vector<UniqueFd>& accepted;
  std::size_t& datagrams;
  SocketAddress udp_address;
  int parent_done;  // readable once the parent has closed its UDP socket
};

// Runs in the child; returns its exit status (0: all good).
int child_main(const Carried& c) {
  c.loop.reinit_after_fork();
  c.listener.resume();
  const UniqueFd client = connect_to(c.listener.local_address());
  if (!client || !run_until(c.loop, [&] { return c.accepted.size() == 1; })) {
    return 1;
  }
  char byte = 0;
  if (::read(c.parent_done, &byte, 1) != 1) {
    return 3;
  }
  if (!send_datagram(c.udp_address) || !run_until(c.loop, [&] { return c.datagrams == 1; })) {
    return 2;
  }
  return 0;
}

TEST(NetFork, ChildAcceptsAndReceivesDatagramsAndParentAcceptsAfter) {
  eddy::Loop loop;
  std::vector<UniqueFd> accepted;
  TcpListener listener(loop, [&](UniqueFd socket, const SocketAddress&) { accepted.push_back(std::move(socket)); });
  ASSERT_FALSE(listener.listen(*SocketAddress::parse("127.0.0.1", 0)));
  std::size_t datagrams = 0;
  UdpSocket udp(loop, [&](UdpSocket&, const UdpSocket::Datagram&) { ++datagrams; });
  ASSERT_FALSE(udp.bind(*SocketAddress::parse("127.0.0.1", 0)));
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  const UniqueFd parent_done_read(pipe_fds[0]);
  const UniqueFd parent_done_write(pipe_fds[1]);
  const Carried carried{loop, listener, accepted, datagrams, udp.local_address(), parent_done_read.get()};
  loop.run_once(std::chrono::milliseconds(0));  // the requests of uring reach the parent's ring
  listener.pause();

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::_exit(child_main(carried));
  }
  udp.close();
  ASSERT_EQ(::write(parent_done_write.get(), "x", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the child accepted nothing; 2: it received no datagram; 3: no word from the parent";

  listener.resume();
  const UniqueFd client = connect_to(listener.local_address());
  ASSERT_TRUE(client);
  EXPECT_TRUE(run_until(loop, [&] { return accepted.size() == 1; })) << "the parent accepts no more";
}

}  // namespace
