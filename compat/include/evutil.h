/* eddy's libevent-compatible API: the libevent 1.4 name of <event2/util.h>. */
#ifndef EDDY_COMPAT_EVUTIL_H
#define EDDY_COMPAT_EVUTIL_H

#include <event2/util.h>

#endif
