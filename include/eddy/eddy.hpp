#pragma once

// Convenience header: everything in eddy's public API.
#include <eddy/block_pool.hpp>
#include <eddy/buffer.hpp>
#include <eddy/clock.hpp>
#include <eddy/close_reason.hpp>
#include <eddy/function.hpp>
#include <eddy/io_events.hpp>
#include <eddy/io_result.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/log.hpp>
#include <eddy/loop.hpp>
#include <eddy/signal_watcher.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/tcp_connect.hpp>
#include <eddy/tcp_connection.hpp>
#include <eddy/tcp_listener.hpp>
#include <eddy/tcp_server.hpp>
#include <eddy/timer.hpp>
#include <eddy/udp_socket.hpp>
#include <eddy/unique_fd.hpp>
#include <eddy/version.hpp>
