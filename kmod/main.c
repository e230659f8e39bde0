// SPDX-License-Identifier: GPL-2.0
/*
 * ztdns: Zero Trust DNS for Linux.  Outbound packets may only go where the
 * protective DNS resolver said they may.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <uapi/linux/ztdns.h>

#include "entries.h"
#include "flows.h"
#include "lpm.h"
#include "netlink.h"
#include "netns.h"
#include "params.h"
#include "sysfs.h"

static int __init ztdns_mod_init(void)
{
	int ret;

	ret = ztdns_lpm_module_init();
	if (ret)
		goto err_lpm;
	ret = ztdns_entries_module_init();
	if (ret)
		goto err_entries;
	ret = ztdns_flows_module_init();
	if (ret)
		goto err_flows;
	ret = ztdns_netns_init();
	if (ret)
		goto err_netns;
	ret = ztdns_params_apply_lists();
	if (ret)
		goto err_lists;
	ztdns_params_ready(true);
	ret = ztdns_sysfs_init();
	if (ret)
		goto err_sysfs;
	ret = ztdns_genl_init();
	if (ret)
		goto err_genl;
	/* Enforcing from insmod pins the module like a later switch would. */
	ret = ztdns_set_mode(ztdns_init_pernet(), READ_ONCE(ztdns_params.mode));
	if (ret)
		goto err_mode;

	pr_info("loaded, version %s, mode %s, %u bytes per allow entry\n",
		ZTDNS_VERSION, ztdns_mode_name(READ_ONCE(ztdns_params.mode)),
		ztdns_entry_size());
	return 0;

err_mode:
	ztdns_genl_uninit();
err_genl:
	ztdns_sysfs_uninit();
err_sysfs:
	ztdns_params_ready(false);
err_lists:
	ztdns_netns_uninit();
err_netns:
	ztdns_flows_module_uninit();
err_flows:
	ztdns_entries_module_uninit();
err_entries:
	ztdns_lpm_module_uninit();
err_lpm:
	/* Parameters were set before init ran (insmod ... dhcp_servers=). */
	ztdns_params_uninit();
	return ret;
}

static void __exit ztdns_mod_exit(void)
{
	ztdns_genl_uninit();
	ztdns_sysfs_uninit();
	ztdns_params_ready(false);
	ztdns_netns_uninit();
	ztdns_flows_module_uninit();
	ztdns_entries_module_uninit();
	ztdns_lpm_module_uninit();
	ztdns_params_uninit();
	pr_info("unloaded\n");
}

module_init(ztdns_mod_init);
module_exit(ztdns_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Zero Trust DNS: outbound traffic only to resolved addresses");
MODULE_AUTHOR("The ztdns authors");
MODULE_VERSION(ZTDNS_VERSION);
MODULE_ALIAS_GENL_FAMILY(ZTDNS_GENL_NAME);
