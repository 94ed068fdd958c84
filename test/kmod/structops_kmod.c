// SPDX-License-Identifier: GPL-2.0
/*
 * structops_kmod: a test module that registers a struct_ops type of its own, so that the
 * loader's module path (type in the module's BTF, map created with value_type_btf_obj_fd,
 * module kfuncs through fd_array) is exercised on a real kernel (test/kernel/families).
 *
 * - struct structops_kmod_ops { int (*compute)(int x); void (*observe)(u64 v); char name[16]; }
 *   registered with register_bpf_struct_ops(); one registration at a time.
 * - kfunc structops_kmod_add(a, b) returns a + b and counts its calls.
 * - /sys/kernel/debug/structops_kmod/trigger: writing N calls compute(N) then observe(result)
 *   of the registered ops; reading gives "name=... triggers=T last=R kfunc_calls=K".
 * The registration holds a reference on the module (st_ops.owner), so rmmod fails while it
 * lives.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/uaccess.h>

struct structops_kmod_ops {
	int (*compute)(int x);
	void (*observe)(u64 v);
	char name[16];
};

static DEFINE_MUTEX(ops_lock);
static struct structops_kmod_ops *active_ops;
static u64 trigger_count;
static s64 last_result;
static atomic64_t kfunc_calls = ATOMIC64_INIT(0);
static struct dentry *debug_dir;

__bpf_kfunc_start_defs();

/* A kfunc of this module: BPF programs reach it through an fd_array slot naming our BTF. */
__bpf_kfunc u64 structops_kmod_add(u64 a, u64 b)
{
	atomic64_inc(&kfunc_calls);
	return a + b;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(structops_kmod_kfunc_ids)
BTF_ID_FLAGS(func, structops_kmod_add)
BTF_KFUNCS_END(structops_kmod_kfunc_ids)

static const struct btf_kfunc_id_set structops_kmod_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &structops_kmod_kfunc_ids,
};

/* CFI stubs: one function per operator, for the trampolines; named <type>__<member>
 * (the convention the kernel and tools use to find their parameter names). */
static int structops_kmod_ops__compute(int x) { return 0; }
static void structops_kmod_ops__observe(u64 v) { }

static struct structops_kmod_ops structops_kmod_stubs = {
	.compute = structops_kmod_ops__compute,
	.observe = structops_kmod_ops__observe,
};

static int structops_kmod_init(struct btf *btf) { return 0; }

static int structops_kmod_init_member(const struct btf_type *t, const struct btf_member *member,
				      void *kdata, const void *udata)
{
	const struct structops_kmod_ops *uops = udata;
	struct structops_kmod_ops *kops = kdata;

	/* The one data member: copied from the map value, NUL-terminated. */
	if (__btf_member_bit_offset(t, member) / 8 == offsetof(struct structops_kmod_ops, name)) {
		if (strnlen(uops->name, sizeof(uops->name)) >= sizeof(uops->name))
			return -EINVAL;
		memcpy(kops->name, uops->name, sizeof(kops->name));
		return 1;
	}
	return 0;
}

static int structops_kmod_check_member(const struct btf_type *t, const struct btf_member *member,
				       const struct bpf_prog *prog)
{
	return 0;
}

static int structops_kmod_reg(void *kdata, struct bpf_link *link)
{
	int err = 0;

	mutex_lock(&ops_lock);
	if (active_ops)
		err = -EEXIST;
	else
		active_ops = kdata;
	mutex_unlock(&ops_lock);
	return err;
}

static void structops_kmod_unreg(void *kdata, struct bpf_link *link)
{
	mutex_lock(&ops_lock);
	if (active_ops == kdata)
		active_ops = NULL;
	mutex_unlock(&ops_lock);
}

static int structops_kmod_validate(void *kdata)
{
	const struct structops_kmod_ops *ops = kdata;

	return ops->compute ? 0 : -EINVAL; /* compute is required */
}

static bool structops_kmod_is_valid_access(int off, int size, enum bpf_access_type type,
					   const struct bpf_prog *prog,
					   struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_func_proto *structops_kmod_get_func_proto(enum bpf_func_id func_id,
								 const struct bpf_prog *prog)
{
	return bpf_base_func_proto(func_id, prog);
}

static const struct bpf_verifier_ops structops_kmod_verifier_ops = {
	.get_func_proto = structops_kmod_get_func_proto,
	.is_valid_access = structops_kmod_is_valid_access,
};

static struct bpf_struct_ops structops_kmod_bpf_ops = {
	.verifier_ops = &structops_kmod_verifier_ops,
	.init = structops_kmod_init,
	.init_member = structops_kmod_init_member,
	.check_member = structops_kmod_check_member,
	.reg = structops_kmod_reg,
	.unreg = structops_kmod_unreg,
	.validate = structops_kmod_validate,
	.cfi_stubs = &structops_kmod_stubs,
	.name = "structops_kmod_ops",
	.owner = THIS_MODULE,
};

static ssize_t trigger_write(struct file *file, const char __user *buf, size_t len, loff_t *ppos)
{
	int x, err;

	err = kstrtoint_from_user(buf, len, 0, &x);
	if (err)
		return err;
	mutex_lock(&ops_lock);
	if (!active_ops) {
		mutex_unlock(&ops_lock);
		return -ENOENT;
	}
	last_result = active_ops->compute(x);
	if (active_ops->observe)
		active_ops->observe(last_result);
	trigger_count++;
	mutex_unlock(&ops_lock);
	return len;
}

static ssize_t trigger_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	char text[128];
	int n;

	mutex_lock(&ops_lock);
	n = scnprintf(text, sizeof(text), "name=%s triggers=%llu last=%lld kfunc_calls=%lld\n",
		      active_ops ? active_ops->name : "", trigger_count, last_result,
		      (long long)atomic64_read(&kfunc_calls));
	mutex_unlock(&ops_lock);
	return simple_read_from_buffer(buf, len, ppos, text, n);
}

static const struct file_operations trigger_fops = {
	.owner = THIS_MODULE,
	.read = trigger_read,
	.write = trigger_write,
	.llseek = default_llseek,
};

static int __init structops_kmod_module_init(void)
{
	int err;

	err = register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS, &structops_kmod_kfunc_set);
	if (err)
		return err;
	err = register_bpf_struct_ops(&structops_kmod_bpf_ops, structops_kmod_ops);
	if (err)
		return err;
	debug_dir = debugfs_create_dir("structops_kmod", NULL);
	debugfs_create_file("trigger", 0600, debug_dir, NULL, &trigger_fops);
	return 0;
}

static void __exit structops_kmod_module_exit(void)
{
	debugfs_remove_recursive(debug_dir);
}

module_init(structops_kmod_module_init);
module_exit(structops_kmod_module_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("struct-ops test module: a struct_ops type, a kfunc and a debugfs trigger");
