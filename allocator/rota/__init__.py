"""The meeting rota: data, model, plan, check, outcome."""
