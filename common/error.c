/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <lmdb.h>
#include "common/common.h"

const char *dns_strerror(int err)
{
	switch (err) {
	case DNS_EOK: return "success";
	case DNS_EMALF: return "malformed data";
	case DNS_ESPACE: return "not enough space";
	case DNS_EPARSE: return "parse error";
	case DNS_EOUTOFZONE: return "owner name outside the zone";
	case DNS_ECNAME: return "CNAME beside other data (RFC 2181 10.1)";
	case DNS_ENOSOA: return "zone needs exactly one SOA, at its apex";
	case DNS_ENONS: return "zone has no NS records at its apex";
	case DNS_ENAMELEN: return "name or label too long (RFC 1035 2.3.4)";
	case DNS_ESCHEMA: return "state was written by a newer version of this software";
	case DNS_ECRYPTO: return "cryptographic library failure";
	case DNS_EDB: return "state database failure";
	case DNS_ENOZONE: return "no such zone";
	case DNS_ENORECORD: return "no such record";
	case DNS_EDUPZONE: return "zone already exists";
	case DNS_ETYPE: return "unknown or unusable record type";
	case DNS_ECONFIG: return "bad configuration";
	case DNS_EDNAME: return "DNAME at the apex or with names below it (RFC 6672 2.4)";
	case DNS_ESINGLETON: return "only one record of this type allowed at a name";
	case DNS_ETTL: return "TTL out of range (RFC 2181 8)";
	case DNS_EAPEX: return "record type not allowed at this name";
	case DNS_ECONFLICT: return "conflicts with a record the mail configuration generates";
	case DNS_ENOMAIL: return "no such mail domain";
	case DNS_ENOHOST: return "no such mail host";
	case DNS_EINUSE: return "still in use";
	}
	if (err <= MDB_KEYEXIST && err >= MDB_LAST_ERRCODE)
		return mdb_strerror(err);
	if (err < 0 && err > -1000)
		return strerror(-err);
	return "unknown error";
}
