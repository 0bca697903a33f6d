"""holdfast.domain"""
