/* eddy's libevent-compatible API: the libevent 1.x names of two tagging
 * calls (libevent 2.1's <event2/tag_compat.h>). */
#ifndef EDDY_COMPAT_EVENT2_TAG_COMPAT_H
#define EDDY_COMPAT_EVENT2_TAG_COMPAT_H

#define encode_int(evbuf, number) evtag_encode_int((evbuf), (number))
#define encode_int64(evbuf, number) evtag_encode_int64((evbuf), (number))

#endif
