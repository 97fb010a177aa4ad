def post_init_hook(env):
    """Give every company that already keeps books its barter settings."""
    companies = env["res.company"].search([("chart_template", "!=", False)])
    companies._mlml_setup()
    env["mlml.balance"]._rebuild(companies)
